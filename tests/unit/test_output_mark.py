"""The output's mark: the list of files a build published, read back exactly, whatever their names."""
from __future__ import annotations

from generator.publish.output import MARK, mark_bytes, read_owned


def test_the_mark_lists_every_name_back_including_non_ascii_and_undecodable_ones(tmp_path):
    names = {"index.html", "news/caf\u00e9/index.html", "static/\u65e5\u672c.png", "bad\udcff.png", "line\nbreak.txt"}
    (tmp_path / MARK).write_bytes(mark_bytes(names))
    assert read_owned(tmp_path)[0] == names
    (tmp_path / MARK).write_bytes(mark_bytes(names - {"bad\udcff.png"}))
    assert read_owned(tmp_path)[0] == names - {"bad\udcff.png"}
