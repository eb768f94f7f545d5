# browser.sh: sourced by the browser tests (dashboard.sh, fixtures.sh).
# saola_find_browser NAME sets $browser to an installed chromium, or exits
# 77 (ctest: skipped), saying so as NAME.
saola_find_browser() {
	browser=""
	for b in chromium chromium-browser google-chrome; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$(command -v "$b")
			return 0
		fi
	done
	echo "$1: no chromium installed: skipped (scripts/deps.sh installs it)" >&2
	exit 77
}
