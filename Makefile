# Two commands on a fresh machine:  `make run` (crawl the Hub, then the study)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HF_ENDPOINT ?= https://huggingface.co

.PHONY: setup run crawl study test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements.txt
	touch $@

crawl: setup
	HF_ENDPOINT=$(HF_ENDPOINT) $(BIN)/scrapy crawl models -s JOBDIR=crawls/models -L INFO

study: setup
	$(BIN)/python -m analysis study output/models.jsonl --out output/study

run: crawl study

test: setup
	bash scripts/run-tests.sh

clean:
	rm -rf output/* crawls
