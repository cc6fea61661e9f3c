"""Getters: read one input of a metric from the scored machine or the task file.

`GETTERS` maps the OSWorld getter `type` to our implementation, called as
`getter(GetterContext(env, task_id), spec_dict)`. Getter types absent from it are reported as
unsupported by `osworld_eval.evaluate.coverage`, never silently scored.
"""

from __future__ import annotations

from osworld_eval.getters import (
    chrome_data,
    chrome_html,
    chrome_prefs,
    chrome_tabs,
    commands,
    files,
    google_drive,
    rules,
    slides,
    system,
    vscode,
    web_pages,
)
from osworld_eval.getters.base import (
    DEFAULT_CHROME_PROFILE_DIR,
    CommandResult,
    EvalEnv,
    EvaluatorInputMissing,
    Getter,
    GetterContext,
    RemoteFileMissing,
)
from osworld_eval.getters.local_env import LocalEvalEnv

GETTERS: dict[str, Getter] = {
    # files
    "vm_file": files.get_vm_file,
    "cloud_file": files.get_cloud_file,
    "cache_file": files.get_cache_file,
    "content_from_vm_file": files.get_content_from_vm_file,
    # commands
    "vm_command_line": commands.get_vm_command_line,
    "vm_command_error": commands.get_vm_command_error,
    "vm_terminal_output": commands.get_vm_terminal_output,
    # rules
    "rule": rules.get_rule,
    "rule_relativeTime": rules.get_rule_relativeTime,
    # desktop
    "list_directory": system.get_list_directory,
    "accessibility_tree": system.get_accessibility_tree,
    "vm_wallpaper": system.get_vm_wallpaper,
    "default_video_player": system.get_default_video_player,
    "vscode_config": vscode.get_vscode_config,
    # slides
    "background_image_in_slide": slides.get_background_image_in_slide,
    "audio_in_slide": slides.get_audio_in_slide,
    # chrome settings (Preferences / Local State)
    "default_search_engine": chrome_prefs.get_default_search_engine,
    "enable_do_not_track": chrome_prefs.get_enable_do_not_track,
    "enable_enhanced_safety_browsing": chrome_prefs.get_enable_enhanced_safety_browsing,
    "enable_safe_browsing": chrome_prefs.get_enable_safe_browsing,
    "new_startup_page": chrome_prefs.get_new_startup_page,
    "find_unpacked_extension_path": chrome_prefs.get_find_unpacked_extension_path,
    "find_installed_extension_name": chrome_prefs.get_find_installed_extension_name,
    "data_delete_automacally": chrome_prefs.get_data_delete_automacally,
    "profile_name": chrome_prefs.get_profile_name,
    "chrome_font_size": chrome_prefs.get_chrome_font_size,
    "chrome_language": chrome_prefs.get_chrome_language,
    "enabled_experiments": chrome_prefs.get_enabled_experiments,
    "chrome_color_scheme": chrome_prefs.get_chrome_color_scheme,
    # chrome profile data
    "bookmarks": chrome_data.get_bookmarks,
    "history": chrome_data.get_history,
    "cookie_data": chrome_data.get_cookie_data,
    "shortcuts_on_desktop": chrome_data.get_shortcuts_on_desktop,
    # chrome tabs (CDP, accessibility tree)
    "active_url_from_accessTree": chrome_tabs.get_active_url_from_accessTree,
    "active_tab_info": chrome_tabs.get_active_tab_info,
    "active_tab_url_parse": chrome_tabs.get_active_tab_url_parse,
    "url_dashPart": chrome_tabs.get_url_dashPart,
    "url_path_parse": chrome_tabs.get_url_path_parse,
    "page_info": chrome_tabs.get_page_info,
    "open_tabs_info": chrome_tabs.get_open_tabs_info,
    "chrome_appearance_mode_ui": chrome_tabs.get_chrome_appearance_mode_ui,
    "active_tab_html_parse": chrome_html.get_active_tab_html_parse,
    # Google Drive (needs the user's Google credentials)
    "googledrive_file": google_drive.get_googledrive_file,
    # live web pages through the scored machine's browser
    "pdf_from_url": web_pages.get_pdf_from_url,
    "info_from_website": web_pages.get_info_from_website,
    "gotoRecreationPage_and_get_html_content": (
        web_pages.get_gotoRecreationPage_and_get_html_content
    ),
}

__all__ = [
    "DEFAULT_CHROME_PROFILE_DIR",
    "GETTERS",
    "CommandResult",
    "EvalEnv",
    "EvaluatorInputMissing",
    "Getter",
    "GetterContext",
    "LocalEvalEnv",
    "RemoteFileMissing",
]
