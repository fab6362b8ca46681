"""The record of a crawl belongs to its feed; the origin of a feed is told from the endpoint and the replay header."""
import json

from hfcrawl.provenance import find_record, origin, record_path


def test_record_sits_beside_the_feed_whatever_its_suffix(tmp_path):
    for name in ("models.jsonl", "models.jsonl.gz", "models.json"):
        assert record_path(tmp_path / name) == tmp_path / "models.crawl.json"
    assert record_path(tmp_path / "elsewhere.jsonl") == tmp_path / "elsewhere.crawl.json"


def test_find_record_takes_the_sidecar_then_any_record_naming_the_feed(tmp_path):
    feed, orgs = tmp_path / "models.jsonl", tmp_path / "orgs.jsonl"
    (tmp_path / "crawl-report-orgs.json").write_text(json.dumps({"feed": str(orgs), "endpoint": "e1"}))
    (tmp_path / "crawl-report.json").write_text(json.dumps({"feed": "output/other.jsonl", "endpoint": "e2"}))
    assert find_record(feed) is None  # a record of another feed is not this feed's
    path, record = find_record(orgs)
    assert path.name == "crawl-report-orgs.json" and record["endpoint"] == "e1"
    record_path(feed).write_text(json.dumps({"feed": "models.jsonl", "endpoint": "e3"}))
    assert find_record(feed)[1]["endpoint"] == "e3"
    assert find_record(tmp_path / "models.jsonl.gz")[1]["endpoint"] == "e3"


def test_a_broken_record_is_no_record(tmp_path):
    feed = tmp_path / "models.jsonl"
    record_path(feed).write_text("{not json")
    assert find_record(feed) is None


def test_origin_kinds():
    assert origin("https://huggingface.co")["kind"] == "hub"
    replay = origin("http://127.0.0.1:8000", "hubreplay/0.1")
    assert replay["kind"] == "replay-hub" and replay["synthetic"] is True
    assert origin("http://127.0.0.1:8000")["kind"] == "loopback"  # on this machine, but not the replay hub
    assert origin("http://[::1]:9")["kind"] == "loopback"
    mirror = origin("https://hf-mirror.com")
    assert mirror["kind"] == "other" and mirror["synthetic"] is False
