# Two commands on a fresh machine:  `make run` (crawl the Hub, then the study)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HF_ENDPOINT ?= https://huggingface.co

.PHONY: setup run crawl study test test-quick splash-install splash-start splash-stop clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements.txt
	touch $@

ORGS ?= google,facebook,openai

# Every task tag, then the study's organisations; both resumable (run again after a stop; `make clean` starts over).
crawl: setup
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl models -s JOBDIR=crawls/models -L INFO
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl models -a authors=$(ORGS) -O output/orgs.jsonl \
		-s JOBDIR=crawls/orgs -s HFCRAWL_REPORT=output/crawl-report-orgs.json -L INFO

study: setup
	$(BIN)/python -m analysis study output/models.jsonl output/orgs.jsonl --orgs $(ORGS) --out output/study

run: crawl study

test: setup
	bash scripts/run-tests.sh

# Without Splash: its tests are skipped (refused under CI).
test-quick: setup
	HFCRAWL_NO_SPLASH=1 bash scripts/run-tests.sh -m "not slow"

splash-install:
	bash scripts/splash.sh install

splash-start: splash-install
	bash scripts/splash.sh start

splash-stop:
	bash scripts/splash.sh stop

clean:
	rm -rf output/* crawls
