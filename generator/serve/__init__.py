"""Preview: build into its own folder, serve it, rebuild on changes and reload the browser."""
