# Two commands on a fresh machine:  `make run` (crawl the Hub, then the study)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HF_ENDPOINT ?= https://huggingface.co

.PHONY: setup run crawl repos study test test-quick lint splash-install splash-start splash-stop clean

setup: $(VENV)/.installed

# The pinned versions CI tests (requirements.txt), then the project itself, editable, without touching those pins:
# tests, benchmarks and `scrapy crawl` import hfcrawl, analysis and hubreplay from this checkout.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install -e . --no-deps
	touch $@

ORGS ?= google,facebook,openai

# Every task tag, then the study's organisations; both resumable (run again after a stop; `make clean` starts over).
# Each crawl writes its record beside its feed (output/models.crawl.json, output/orgs.crawl.json), where the study
# finds it.
crawl: setup
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl models -s JOBDIR=crawls/models -L INFO
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl models -a authors=$(ORGS) -O output/orgs.jsonl \
		-s JOBDIR=crawls/orgs -L INFO

# Optional, after `make crawl`: the git repositories of a seeded sample of the crawled models (2 API calls each: at
# the anonymous quota, 5,000 repositories take about 100 minutes); resumable. `make study` then reads them too.
REPOS_SAMPLE ?= 5000
repos: setup
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl repos -a input=output/models.jsonl -a sample=$(REPOS_SAMPLE) \
		-a seed=0 -O output/repos.jsonl -s JOBDIR=crawls/repos -L INFO

study: setup
	$(BIN)/python -m analysis study output/models.jsonl output/orgs.jsonl --orgs $(ORGS) --out output/study \
		$(if $(wildcard output/repos.jsonl),--repos output/repos.jsonl)

run: crawl study

# Everything: ruff, then every test (installs Chromium and a real Splash when missing; see scripts/run-tests.sh).
test: setup
	bash scripts/run-tests.sh

# The quick loop: the tests that start no process, server or fork (no Splash, no crawl); under a minute.
test-quick: setup
	$(BIN)/python -m pytest -m "not e2e"

lint: setup
	$(BIN)/ruff check .

splash-install:
	bash scripts/splash.sh install

splash-start: splash-install
	bash scripts/splash.sh start

splash-stop:
	bash scripts/splash.sh stop

clean:
	rm -rf output/* crawls
