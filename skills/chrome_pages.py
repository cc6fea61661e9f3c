"""What the program knows about Chrome's own pages: where each setting lives and what it is.

Knowledge about the application, never about a task: the chrome:// page of each area of the
browser, and the preferences Chrome's settings pages expose through `chrome.settingsPrivate`
(the same call a settings toggle or dropdown makes), with the values each one takes. Keys not
listed here can still be set when the settings page exposes them (`getAllPrefs` lists them at
run time); this table is what the planning call is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChromePage = Literal[
    "settings", "appearance", "fonts", "search_engine", "search_engines", "startup",
    "privacy", "security", "cookies", "site_data", "site_settings", "clear_browsing_data",
    "autofill", "passwords", "payment_methods", "addresses", "languages", "downloads",
    "accessibility", "system", "reset", "profile", "manage_profile", "performance",
    "history", "bookmarks", "downloads_list", "extensions", "password_manager",
    "version", "flags", "new_tab",
]  # fmt: skip

PAGE_URLS: dict[ChromePage, str] = {
    "settings": "chrome://settings/",
    "appearance": "chrome://settings/appearance",
    "fonts": "chrome://settings/fonts",
    "search_engine": "chrome://settings/search",
    "search_engines": "chrome://settings/searchEngines",
    "startup": "chrome://settings/onStartup",
    "privacy": "chrome://settings/privacy",
    "security": "chrome://settings/security",
    "cookies": "chrome://settings/cookies",
    "site_data": "chrome://settings/content/siteData",
    "site_settings": "chrome://settings/content",
    "clear_browsing_data": "chrome://settings/clearBrowserData",
    "autofill": "chrome://settings/autofill",
    "passwords": "chrome://password-manager/passwords",
    "payment_methods": "chrome://settings/payments",
    "addresses": "chrome://settings/addresses",
    "languages": "chrome://settings/languages",
    "downloads": "chrome://settings/downloads",
    "accessibility": "chrome://settings/accessibility",
    "system": "chrome://settings/system",
    "reset": "chrome://settings/reset",
    "profile": "chrome://settings/people",
    "manage_profile": "chrome://settings/manageProfile",
    "performance": "chrome://settings/performance",
    "history": "chrome://history/",
    "bookmarks": "chrome://bookmarks/",
    "downloads_list": "chrome://downloads/",
    "extensions": "chrome://extensions/",
    "password_manager": "chrome://password-manager/passwords",
    "version": "chrome://version/",
    "flags": "chrome://flags/",
    "new_tab": "chrome://newtab/",
}


@dataclass(frozen=True)
class KnownPref:
    key: str
    page: ChromePage
    means: str

    def line(self) -> str:
        return f"{self.key} ({self.page}): {self.means}"


KNOWN_PREFS: tuple[KnownPref, ...] = (
    KnownPref("enable_do_not_track", "cookies", "send a 'Do Not Track' request: true/false"),
    KnownPref("generated.safe_browsing", "security",
              "Safe Browsing level: 0 enhanced protection, 1 standard protection, 2 none"),
    KnownPref("safebrowsing.enabled", "security",
              "warn about dangerous sites (Safe Browsing on): true/false"),
    KnownPref("generated.cookie_default_content_setting", "site_data",
              "cookies and site data: 'allow', 'session_only' (delete all site data when "
              "Chrome closes), 'block'"),
    KnownPref("generated.third_party_cookie_blocking_setting", "cookies",
              "third-party cookies: 'block_third_party', 'block_third_party_incognito'"),
    KnownPref("https_only_mode_enabled", "security", "always use secure connections: true/false"),
    KnownPref("webkit.webprefs.default_font_size", "appearance",
              "default font size in px: 9 very small, 12 small, 16 medium, 20 large, "
              "24 very large (any 9-72)"),
    KnownPref("webkit.webprefs.default_fixed_font_size", "fonts", "fixed-width font size, px"),
    KnownPref("webkit.webprefs.minimum_font_size", "fonts", "minimum font size, px (0 = none)"),
    KnownPref("session.restore_on_startup", "startup",
              "on startup: 5 open the New Tab page, 1 continue where you left off, "
              "4 open a specific page or set of pages (session.startup_urls)"),
    KnownPref("session.startup_urls", "startup", "list of URLs opened on startup (with 4)"),
    KnownPref("browser.show_home_button", "appearance", "show the home button: true/false"),
    KnownPref("homepage_is_newtabpage", "appearance", "home button opens the New Tab page"),
    KnownPref("homepage", "appearance", "home button URL (homepage_is_newtabpage false)"),
    KnownPref("bookmark_bar.show_on_all_tabs", "appearance", "always show the bookmarks bar"),
    KnownPref("download.default_directory", "downloads", "download folder path"),
    KnownPref("download.prompt_for_download", "downloads",
              "ask where to save each file before downloading: true/false"),
    KnownPref("credentials_enable_service", "autofill", "offer to save passwords: true/false"),
    KnownPref("credentials_enable_autosignin", "autofill", "auto sign-in: true/false"),
    KnownPref("autofill.profile_enabled", "addresses", "save and fill addresses: true/false"),
    KnownPref("autofill.credit_card_enabled", "payment_methods",
              "save and fill payment methods: true/false"),
    KnownPref("search.suggest_enabled", "privacy", "autocomplete searches and URLs: true/false"),
    KnownPref("net.network_prediction_options", "performance",
              "preload pages: 0 extended, 1 standard, 2 none"),
    KnownPref("browser.enable_spellchecking", "languages", "spell check: true/false"),
    KnownPref("intl.accept_languages", "languages", "preferred languages, comma separated"),
    KnownPref("translate.enabled", "languages", "offer to translate pages: true/false"),
    KnownPref("background_mode.enabled", "system",
              "continue running background apps when Chrome is closed: true/false"),
    KnownPref("hardware_acceleration_mode.enabled", "system",
              "use graphics acceleration when available: true/false"),
    KnownPref("performance_tuning.high_efficiency_mode.state", "performance",
              "memory saver: 0 off, 1 on (timed), 2 on"),
    KnownPref("plugins.always_open_pdf_externally", "site_settings",
              "download PDFs instead of opening them in Chrome: true/false"),
    KnownPref("dns_over_https.mode", "security", "secure DNS: 'off', 'automatic', 'secure'"),
    KnownPref("settings.a11y.caretbrowsing.enabled", "accessibility",
              "navigate pages with a text cursor: true/false"),
)  # fmt: skip

KNOWN_BY_KEY = {pref.key: pref for pref in KNOWN_PREFS}


def page_for_pref(key: str) -> str:
    """The settings page to show while changing `key` (its own page when known)."""
    known = KNOWN_BY_KEY.get(key)
    return PAGE_URLS[known.page] if known else PAGE_URLS["settings"]


# Preference keys whose value lives in Preferences under another name: generated prefs are
# computed by the settings page from real ones.
PREFERENCE_FILE_CHECKS: dict[str, dict[object, tuple[str, object]]] = {
    "generated.cookie_default_content_setting": {
        "session_only": ("profile.default_content_setting_values.cookies", 4),
        "block": ("profile.default_content_setting_values.cookies", 2),
    },
    "generated.safe_browsing": {
        0: ("safebrowsing.enhanced", True),
        1: ("safebrowsing.enabled", True),
        2: ("safebrowsing.enabled", False),
    },
}
