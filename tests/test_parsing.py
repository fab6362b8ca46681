"""Parsers on real Hub bodies (../shared/data/hub-responses) and on hand-made pages: no server, no Scrapy."""
from __future__ import annotations

import html
import json

import pytest

from hfcrawl.parsing import (
    LayoutError,
    ParseError,
    next_link,
    parse_api_models,
    parse_html_listing,
    parse_pipeline_tags,
)
from hfcrawl.pipelines import invalid_id_reason
from tests.paths import SHARED

RESPONSES = SHARED / "data" / "hub-responses"


def test_default_api_response_gives_every_field_it_has():
    body = (RESPONSES / "api_models_default_2025-11_burncloud.json").read_bytes()
    records = parse_api_models(body)
    assert [r["id"] for r in records] == ["moonshotai/Kimi-K2-Thinking", "MiniMaxAI/MiniMax-M2"]
    first = records[0]
    assert first["pipeline_tag"] == "text-generation"
    assert first["downloads"] == 5119 and first["likes"] == 578
    assert first["created_at"] == "2025-11-04T08:25:31.000Z"
    assert first["library_name"] == "transformers"
    assert "conversational" in first["tags"]
    assert first["author"] is None and first["last_modified"] is None  # not in a default item


def test_expand_response_without_pipeline_tag_gives_none():
    body = (RESPONSES / "api_models_expand_siblings_2026-09_unattributed.json").read_bytes()
    records = parse_api_models(body)
    assert records[0]["last_modified"] == "2026-09-08T22:20:58.000Z"
    assert records[1]["id"] == "mradermacher/Qwen3.8-27B-abliterated-GGUF"
    assert records[1]["pipeline_tag"] is None


def test_truncated_or_non_json_api_body_is_retryable():
    body = (RESPONSES / "api_models_default_2025-11_burncloud.json").read_bytes()
    with pytest.raises(ParseError):
        parse_api_models(body[: len(body) // 2])
    with pytest.raises(ParseError):
        parse_api_models(b"<html><body>Bad gateway</body></html>")
    with pytest.raises(ParseError):
        parse_api_models(b'{"error": "oops"}')


def test_api_item_without_id_is_a_layout_error():
    with pytest.raises(LayoutError, match="no 'id'"):
        parse_api_models(b'[{"id": "a/b"}, {"_id": "0123", "likes": 3}]')


def test_legacy_model_id_key_is_read():
    assert parse_api_models(b'[{"modelId": "gpt2"}]')[0]["id"] == "gpt2"


def test_real_link_headers_give_the_next_url_verbatim():
    lines = [line for line in (RESPONSES / "link_headers.txt").read_text().splitlines()
             if line.lower().startswith("link:") and line.rstrip().endswith('rel="next"')]
    assert lines, "the real captures hold complete Link headers"
    for line in lines:
        url = next_link(line.split(":", 1)[1])
        assert url.startswith("http") and "cursor=" in url
        assert url in line  # as given, not rebuilt
    assert next_link(None) is None
    assert next_link('<https://h/x?cursor=a>; rel="prev"') is None
    assert next_link(b'<https://h/a>; rel="prev", <https://h/b>; rel="next"') == "https://h/b"


def _listing_page(models: list[dict], total: int, page: int = 0, cards: bool = True, props: bool = True) -> bytes:
    props_json = json.dumps({"initialValues": {"models": models, "numItemsPerPage": 30,
                                               "numTotalItems": total, "pageIndex": page}})
    parts = ["<html><body><main>"]
    if props:
        parts.append(f'<div class="SVELTE_HYDRATER contents" data-target="ModelList" '
                     f'data-props="{html.escape(props_json, quote=True)}">')
    if cards:
        for m in models:
            parts.append(f'<article class="overview-card-wrapper group/repo"><a class="block p-2" href="/{m["id"]}">'
                         f'<header title="{m["id"]}"><h4>{m["id"]}</h4></header></a></article>')
    parts.append("</div></main></body></html>")
    return "".join(parts).encode()


def test_html_listing_reads_data_props_and_total():
    models = [{"id": "google/bert_uncased_L-2_H-128_A-2", "author": "google", "downloads": 12, "likes": 3,
               "pipeline_tag": "fill-mask", "lastModified": "2021-05-19T17:28:39.000Z"},
              {"id": "bert-base-uncased", "author": "bert-base-uncased", "downloads": 1}]
    records, total = parse_html_listing(_listing_page(models, total=4321))
    assert total == 4321
    assert [r["id"] for r in records] == ["google/bert_uncased_L-2_H-128_A-2", "bert-base-uncased"]
    assert records[0]["last_modified"] == "2021-05-19T17:28:39.000Z"
    assert records[0]["tags"] is None  # the listing gives no tags


def test_html_listing_falls_back_to_cards():
    models = [{"id": "a/one"}, {"id": "b/two"}]
    page = _listing_page(models, total=2, props=False).replace(b'href="/b/two"',
                                                               b'href="https://huggingface.co/b/two?library=x"')
    records, total = parse_html_listing(page, base_url="https://huggingface.co")
    assert [r["id"] for r in records] == ["a/one", "b/two"]
    assert total is None


@pytest.mark.parametrize("href", ["https://evil.example/x/y", "//evil.example/x/y", "/spaces/owner/app",
                                  "/datasets/owner/data", "javascript:alert(1)", "#", "/owner/name/tree/main",
                                  "mailto:a@b.c", "http://huggingface.co/x/y"])
def test_card_links_off_the_listing_or_not_to_a_model_are_not_models(href):
    """Only same-origin /owner/name (or a legacy /name) links are read as model ids by the card fallback."""
    models = [{"id": "a/one"}, {"id": "b/two"}]
    page = _listing_page(models, total=2, props=False).replace(b'href="/b/two"', f'href="{href}"'.encode())
    records, _ = parse_html_listing(page, base_url="https://huggingface.co")
    assert [r["id"] for r in records] == ["a/one"]


def test_cards_with_no_model_link_at_all_are_a_layout_error():
    page = _listing_page([{"id": "a/one"}], total=1, props=False).replace(b'href="/a/one"', b'href="/spaces/a/x"')
    with pytest.raises(LayoutError, match="card links"):
        parse_html_listing(page, base_url="https://huggingface.co")


def test_html_page_with_neither_props_nor_cards_is_a_layout_error():
    with pytest.raises(LayoutError):
        parse_html_listing(b"<html><body><div class='new-layout'>models here</div></body></html>")


def test_empty_listing_past_the_end_is_not_an_error():
    records, total = parse_html_listing(_listing_page([], total=60, page=2))
    assert records == [] and total == 60


def test_pipeline_tags_from_tags_by_type():
    body = json.dumps({"pipeline_tag": [{"id": "text-generation", "label": "Text Generation",
                                         "type": "pipeline_tag", "subType": "nlp"},
                                        {"id": "fill-mask", "label": "Fill-Mask", "type": "pipeline_tag"}],
                       "library": [{"id": "transformers"}]}).encode()
    assert parse_pipeline_tags(body) == ["text-generation", "fill-mask"]
    with pytest.raises(LayoutError):
        parse_pipeline_tags(b'{"library": []}')


@pytest.mark.parametrize("model_id", ["google/bert_uncased_L-2_H-128_A-2", "gpt2", "bert-base-uncased",
                                      "TheBloke/Llama-2-7B-GPTQ", "a/b.c_d-e", "facebook/wav2vec2-base-960h"])
def test_valid_ids(model_id):
    assert invalid_id_reason(model_id) is None


@pytest.mark.parametrize("model_id", ["", "a/b/c", "-bad/name", "owner/na me", "owner/name.", "own..er/x",
                                      "owner/<script>", "../etc/passwd", "x" * 97, "owner/name\n", "/gpt2", "gpt2/",
                                      "owner/name\r"])
def test_invalid_ids(model_id):
    assert invalid_id_reason(model_id)


def test_every_id_of_the_study_is_valid():
    lists = SHARED / "data" / "seed-2024-02" / "lists"
    bad = [i for f in lists.glob("*.txt") for i in f.read_text().split() if invalid_id_reason(i)]
    assert bad == []


def test_html_page_cut_short_is_retryable_not_a_layout_change():
    page = _listing_page([{"id": "a/one"}], total=1)
    with pytest.raises(ParseError, match="cut short"):
        parse_html_listing(page[: len(page) // 2])


@pytest.mark.parametrize("raw,clean", [(["a", "b"], ["a", "b"]), ([" a", "b", "", 3], ["a", "b"]), (["a", ""], ["a"]),
                                       (["a\t", "b"], ["a", "b"]), ([], []), ("x", None), (None, None)])
def test_tags_are_trimmed_and_non_strings_dropped(raw, clean):
    from hfcrawl.pipelines import _clean_tags

    assert _clean_tags(raw) == clean


@pytest.mark.parametrize("text", ['{"a":"x&y","b":"<tag>","c":"it\'s","d":"&amp;"}', '{"e":"café — &nbsp; &#8212;"}'])
def test_data_props_unescaping_matches_the_html_module(text):
    from hfcrawl.parsing import _unescape_attribute

    escaped = html.escape(text, quote=True).encode()
    out = _unescape_attribute(escaped)
    assert (out.decode() if isinstance(out, bytes) else out) == text
    assert _unescape_attribute(b"&#8212; &quot;") == html.unescape("&#8212; &quot;")


def test_html_listing_finds_models_and_total_wherever_they_are_nested():
    props = json.dumps({"page": {"list": {"models": [{"id": "a/b"}]}}, "meta": {"numTotalItems": 1}})
    page = (f'<html><div data-target="ModelList" data-props="{html.escape(props, quote=True)}"></div></html>').encode()
    records, total = parse_html_listing(page)
    assert [r["id"] for r in records] == ["a/b"] and total == 1
