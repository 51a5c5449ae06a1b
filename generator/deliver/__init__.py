"""After build: the e-mail edition delivered (the message, SMTP, the record of what was sent) and ``update``,
which runs fetch -> build -> send for an unattended site."""
