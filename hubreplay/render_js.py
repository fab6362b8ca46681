"""The JavaScript variant of the listing (``/models-js``): the page holds no model; an inline ES5 script fetches
``/models-json`` and builds the ModelList div and the cards. Plain HTTP sees no models, a browser such as Splash does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .render_html import PageRenderer

# ES5 only (old QtWebKit in Splash): var, function expressions, XMLHttpRequest; no arrow functions, fetch, promises.
JS_RENDERER = r"""
(function () {
  var root = document.getElementById('model-list-root');
  // names split so that the served HTML itself holds no card, no list marker and no props attribute
  var ARTICLE = 'arti' + 'cle', LIST = 'Model' + 'List', PROPS = 'data-' + 'props';
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function human(n) {
    if (n >= 1000000) { return (Math.round(n / 100000) / 10) + 'M'; }
    if (n >= 1000) { return (Math.round(n / 100) / 10) + 'k'; }
    return String(n);
  }
  function card(m) {
    var t = m.lastModified ? m.lastModified.substring(0, 19) : '';
    var task = m.pipeline_tag ? '<span class="hidden md:inline">' + esc(m.pipeline_tag) + '</span>' +
      '<span class="px-1.5 text-gray-300">\u2022 </span>' : '';
    return '<' + ARTICLE + ' class="overview-card-wrapper group/repo  from-gray-50-to-white from-gray-50 to-white">' +
      '<a class="block p-2" href="/' + esc(m.id) + '"><div class="w-full truncate">' +
      '<header class="flex items-center mb-1" title="' + esc(m.id) + '"><h4 class="text-md truncate font-mono">' +
      esc(m.id) + '</h4></header><div class="mr-1 flex items-center overflow-hidden whitespace-nowrap text-sm ' +
      'leading-tight text-gray-400">' + task + '<span class="truncate">Updated <time datetime="' + esc(t) + '">' +
      esc(t.substring(0, 10)) + '</time></span><span class="px-1.5 text-gray-300">\u2022 </span>' +
      human(m.downloads || 0) + '<span class="px-1.5 text-gray-300">\u2022 </span>' + human(m.likes || 0) +
      '</div></div></a></' + ARTICLE + '>';
  }
  function render(data) {
    var div = document.createElement('div');
    div.className = 'SVELTE_HYDRATER contents';
    div.setAttribute('data-target', LIST);
    div.setAttribute(PROPS, JSON.stringify({initialValues: data}));
    var parts = [];
    var i;
    for (i = 0; i < data.models.length; i++) { parts.push(card(data.models[i])); }
    div.innerHTML = '<div class="mb-4 flex items-center text-lg"><h1>Models</h1><div class="ml-3 text-gray-400">' +
      data.numTotalItems + '</div></div><div class="relative"><div class="grid grid-cols-1 gap-5 2xl:grid-cols-2">' +
      parts.join('\n') + '</div></div>';
    root.innerHTML = '';
    root.appendChild(div);
    root.setAttribute('data-rendered', 'true');
  }
  var qs = window.location.search || '';
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/models-json' + qs + (qs ? '&' : '?') + 'withCount=true', true);
  xhr.onreadystatechange = function () {
    if (xhr.readyState !== 4) { return; }
    if (xhr.status !== 200) {
      root.innerHTML = '<div class="error">Error ' + xhr.status + '</div>';
      return;
    }
    render(JSON.parse(xhr.responseText));
  };
  xhr.send(null);
})();
"""


def js_page(pages: PageRenderer, params) -> bytes:
    """The page of /models-js: the site's chrome, a loading note, and the script that renders the listing."""
    inner = ('<div id="model-list-root"><div class="mb-4 text-gray-400">Loading models…</div></div>'
             '<noscript>This page needs JavaScript.</noscript>')
    script = "<script>\n" + JS_RENDERER + "\n</script>\n"
    return pages.chrome(params, inner, scripts=script)
