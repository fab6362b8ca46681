"""Settings of the hfcrawl project: polite defaults for the real Hub, everything overridable with -s.

The Hub allows anonymous clients 500 API calls and 100 HTML pages per 5 minutes (docs/hub-api.md 1.5); the crawler
reads the RateLimit headers and waits when the budget is spent, so the defaults below only bound the burst.
"""
import os

from scrapy.settings import default_settings as _scrapy_defaults

from hfcrawl.compat import restore_scrapy_url_reexports

# Before anything imports scrapy_splash: Scrapy loads this module first, then the spiders and components.
restore_scrapy_url_reexports()

BOT_NAME = "hfcrawl"
SPIDER_MODULES = ["hfcrawl.spiders"]
NEWSPIDER_MODULE = "hfcrawl.spiders"
COMMANDS_MODULE = "hfcrawl.commands"

USER_AGENT = "hfcrawl/1.0 (research crawler of model names; Scrapy)"
# The API is the Hub's programmatic interface and /models is the page the study read; robots.txt is not consulted
# (set ROBOTSTXT_OBEY=True to consult it).
ROBOTSTXT_OBEY = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

# Politeness: a few requests at a time to the Hub; the RateLimit headers and 429s decide the pace beyond that.
CONCURRENT_REQUESTS = 8
# A callback yields one page item and at most one request: no need for 100 parallel item workers per response.
CONCURRENT_ITEMS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 60
# A body over this size is cut off with an error (the stream is then reported incomplete), so a runaway answer
# cannot exhaust memory. A full API page of 1000 models is about 0.5 MB.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024

# The listing pages have no <meta http-equiv="refresh">; looking for one decodes every 100 KB page as text.
METAREFRESH_ENABLED = False
# Scrapy reads each callback's source to warn about `return value` in generators: on every response, as the
# callbacks are bound methods (a fifth of the HTML crawl's time). Ours return nothing.
WARN_ON_GENERATOR_RETURN_VALUE = False

RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
HFCRAWL_BACKOFF_BASE = 1.0  # seconds before the first retry, doubled each time
HFCRAWL_BACKOFF_MAX = 60.0
HFCRAWL_MAX_429_RETRIES = 20
HFCRAWL_LAYOUT_RETRIES = 2  # a page in an unknown shape is asked again this often before its stream fails
HFCRAWL_DEFAULT_429_WAIT = 10.0  # when a 429 says nothing usable of how long to wait (none, -5, nan, a past date)
# No wait is longer: a Hub asking for more (RateLimit t=, Retry-After) fails the request's stream with its figure.
# The Hub's windows are 5 minutes; a minute more leaves room for its clock and ours.
HFCRAWL_MAX_WAIT = 360.0
HFCRAWL_UNREACHABLE_RETRIES = 1  # a host that does not resolve or refuses connections: not worth RETRY_TIMES
HFCRAWL_REQUEST_BUDGET = 0  # requests per HFCRAWL_BUDGET_WINDOW seconds; 0 = no budget of our own
HFCRAWL_BUDGET_WINDOW = 300

HFCRAWL_PROGRESS_INTERVAL = 30
LOGSTATS_INTERVAL = 0  # Scrapy's "Crawled N pages, scraped N items": the progress lines above say it in models
# The crawl's record: empty = beside its feed (hfcrawl.provenance.record_path: output/models.jsonl ->
# output/models.crawl.json); a path here puts it there instead (it still names its feed).
HFCRAWL_REPORT = ""
HFCRAWL_SPLASH_WAIT = 1.0  # seconds Splash waits after the page loaded, for the list to appear
HFCRAWL_HTML_PATH = "/models"  # the web listing's path (the replay hub also serves a JavaScript-built /models-js)

# Rendering through Splash (scrapy-splash), for the HTML source: on when SPLASH_URL is set (here, with -s, or in the
# environment; hfcrawl reads it through hfcrawl.hub.splash_url). scrapy-splash's middlewares and dupe filter, those
# its documentation asks for, are added by hfcrawl.spiders.base.splash_settings only then, and only for the models
# spider (the one that renders): loaded without Splash they only warn (deprecations of Scrapy 2.19) on every crawl.
if os.environ.get("SPLASH_URL"):
    SPLASH_URL = os.environ["SPLASH_URL"]
# Scrapy's own download slots (per host: the Splash server): scrapy-splash's per_domain policy calls a Downloader
# method that Scrapy 2.19 no longer has.
SPLASH_SLOT_POLICY = "scrapy_default"

# The feed: this file unless -O/-o (FEEDS) names another. Without -O/-o an existing feed is never overwritten (the
# crawl refuses to start, naming -O and -o); a resumed crawl appends to its feed once it matches the checkpoint.
HFCRAWL_FEED = "output/models.jsonl"

ITEM_PIPELINES = {
    "hfcrawl.pipelines.CleanModelsPipeline": 100,
    "hfcrawl.pipelines.DedupModelsPipeline": 200,
    "hfcrawl.pipelines.JsonLinesFeedPipeline": 900,
}
# Scrapy's extensions no crawl here runs: the FeedExporter (the feed is written by JsonLinesFeedPipeline), the telnet
# console, and Scrapy 2.19's remote control (an HTTP port on every crawl that runs code sent to it). They are taken
# out of EXTENSIONS_BASE, not set to None in EXTENSIONS: Scrapy imports every key of EXTENSIONS to compare names, and
# the remote control's module imports aiohttp (a tenth of a second of every start).
EXTENSIONS_BASE = {name: order for name, order in _scrapy_defaults.EXTENSIONS_BASE.items() if name not in (
    "scrapy.extensions.feedexport.FeedExporter", "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl")}
EXTENSIONS = {
    "hfcrawl.ledger.Ledger": 400,  # the streams and the checkpoint: found with hfcrawl.ledger.ledger_of(crawler)
    "hfcrawl.extensions.CrawlProgress": 500,
    "hfcrawl.extensions.OriginWatch": 505,  # what answers (the replay hub names itself): the record's origin
    "hfcrawl.extensions.CrawlReport": 510,
    "hfcrawl.runtime.GcTuning": 600,  # the garbage collector's thresholds for a crawl of many small dicts
}
HFCRAWL_GC_THRESHOLD = 50_000  # new objects between two young-generation collections; 0: the interpreter's 700
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "hfcrawl.middlewares.BackoffRetryMiddleware": 550,
    "hfcrawl.middlewares.HubRateLimitMiddleware": 560,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 810,
    # after scrapy-splash's middleware (725, with Splash only) has rewritten the URL
    "hfcrawl.middlewares.HubAuthMiddleware": 760,
}
# scrapy-splash's SplashDeduplicateArgsMiddleware is left out: it only saves memory on large Splash arguments
# (lua_source), which render.html requests do not send, and it cannot take Scrapy 2.19's asynchronous spider output.
SPIDER_MIDDLEWARES = {
    # A callback's parse error becomes a retry of its page or a failed stream, here and only here.
    "hfcrawl.spidermiddlewares.PageErrorMiddleware": 950,
    # A page whose body could not be read is retried with get_retry_request, which copies the request's meta on
    # purpose; this middleware would warn about every such retry.
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
SCHEDULER = "hfcrawl.scheduler.MemoryQueueScheduler"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# The spiders that run on plain asyncio instead (Scrapy's reactorless mode, with its aiohttp download handler): the
# repos crawl makes two small API calls a repository, and Twisted's HTTP/1.1 client and the reactor's Deferreds
# were a seventh of its per-request cost (docs/repos-crawl.md); the listing crawl saves 0.3-0.5 s of its 2-3 s
# (docs/crawler.md). Chosen by hfcrawl.commands.crawl before the crawler process exists;
# -s TWISTED_REACTOR_ENABLED=True|False overrides it.
HFCRAWL_ASYNCIO_SPIDERS = ["repos", "models"]
FEED_EXPORT_ENCODING = "utf-8"
