#!/bin/sh
set -e
cd "$(dirname "$0")"
autoreconf --install --force --warnings=all,no-portability
