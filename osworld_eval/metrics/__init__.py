"""Metrics: our implementations of OSWorld's evaluator functions, by OSWorld name.

A metric is called as OSWorld calls it: `metric(result, expected, **options)`, or
`metric(result, **options)` when the task has no expected getter, and returns a score in [0, 1].

Tasks using each func in the chrome, os and multi_apps domains (171 tasks), most used first;
all are implemented:
check_include_exclude 19, check_direct_json_object 17, compare_table 16, exact_match 15,
is_expected_url_pattern_match 10, compare_docx_files 9, infeasible 9, compare_pdfs 8,
is_expected_tabs 4, compare_text_file 4, compare_images 4, check_list 4,
is_expected_active_tab 4, compare_archive 3, compare_csv 3, is_expected_bookmarks 3,
check_thunderbird_folder 2, compare_docx_tables 2, file_contains 2, compare_image_list 2,
check_structure_sim 2, is_in_list 2, check_json 2, diff_text_file 2,
check_python_file_by_test_suite 2, match_in_list 2, compare_htmls 1, compare_zip_files 1,
compare_python_pure_text 1, check_image_file_size 1, compare_audios 1,
is_expected_installed_extensions 1, compare_image_text 1, compare_config 1,
compare_pdf_images 1, check_brightness_decrease_and_structure_sim 1,
check_structure_sim_with_threshold 1, check_image_size 1, is_extension_installed 1,
compare_docx_images 1, compare_references 1, check_accessibility_tree 1, compare_epub 1,
compare_result_files 1, compare_docx_files_and_ignore_new_lines 1, compare_pptx_files 1,
check_line_number 1, fuzzy_place_math 1, check_mp3_meta 1,
compare_conference_city_in_order 1, literal_match 1, is_expected_search_query 1,
is_in_vm_clickboard 1, is_cookie_deleted 1, check_history_deleted 1, is_shortcut_on_desktop 1,
is_added_to_steam_cart 1, is_expected_active_tab_approximate 1, check_font_size 1,
check_moved_jpgs 1, is_utc_0 1, check_gnome_favorite_apps 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from osworld_eval.metrics import (
    accessibility,
    archives,
    audio_similarity,
    audio_tags,
    chrome,
    desktop,
    docs,
    general,
    images,
    json_checks,
    pdf,
    python_tests,
    slides,
    table,
    text_files,
)

Metric = Callable[..., float]

METRICS: dict[str, Metric] = {
    # general
    "infeasible": general.infeasible,
    "check_include_exclude": general.check_include_exclude,
    "exact_match": general.exact_match,
    "match_in_list": general.match_in_list,
    "is_in_list": general.is_in_list,
    "literal_match": general.literal_match,
    "fuzzy_match": general.fuzzy_match,
    "check_list": general.check_list,
    "file_contains": general.file_contains,
    "check_line_number": general.check_line_number,
    "diff_text_file": general.diff_text_file,
    "compare_python_pure_text": general.compare_python_pure_text,
    "compare_result_files": general.compare_result_files,
    "is_in_vm_clickboard": general.is_in_vm_clickboard,
    # json
    "check_json": json_checks.check_json,
    "check_direct_json_object": json_checks.check_direct_json_object,
    "compare_config": json_checks.compare_config,
    # accessibility tree
    "check_accessibility_tree": accessibility.check_accessibility_tree,
    # chrome
    "is_expected_active_tab": chrome.is_expected_active_tab,
    "is_expected_active_tab_approximate": chrome.is_expected_active_tab_approximate,
    "is_expected_url_pattern_match": chrome.is_expected_url_pattern_match,
    "is_expected_tabs": chrome.is_expected_tabs,
    "is_expected_bookmarks": chrome.is_expected_bookmarks,
    "is_expected_search_query": chrome.is_expected_search_query,
    "is_expected_installed_extensions": chrome.is_expected_installed_extensions,
    "is_cookie_deleted": chrome.is_cookie_deleted,
    "check_history_deleted": chrome.check_history_deleted,
    "check_enabled_experiments": chrome.check_enabled_experiments,
    "check_font_size": chrome.check_font_size,
    "is_shortcut_on_desktop": chrome.is_shortcut_on_desktop,
    "is_added_to_steam_cart": chrome.is_added_to_steam_cart,
    # spreadsheets
    "compare_table": table.compare_table,
    "compare_csv": table.compare_csv,
    "compare_conference_city_in_order": table.compare_conference_city_in_order,
    # documents
    "compare_docx_files": docs.compare_docx_files,
    "compare_docx_files_and_ignore_new_lines": docs.compare_docx_files_and_ignore_new_lines,
    "compare_docx_tables": docs.compare_docx_tables,
    "compare_docx_images": docs.compare_docx_images,
    "compare_references": docs.compare_references,
    "fuzzy_place_math": docs.fuzzy_place_math,
    # pdf
    "compare_pdfs": pdf.compare_pdfs,
    "compare_pdf_images": pdf.compare_pdf_images,
    # images
    "compare_images": images.compare_images,
    "compare_image_list": images.compare_image_list,
    "check_structure_sim": images.check_structure_sim,
    "check_structure_sim_with_threshold": images.check_structure_sim_with_threshold,
    "check_brightness_decrease_and_structure_sim": images.check_brightness_decrease_and_structure_sim,
    "check_image_size": images.check_image_size,
    "check_image_file_size": images.check_image_file_size,
    "compare_image_text": images.compare_image_text,
    # archives
    "compare_archive": archives.compare_archive,
    "compare_zip_files": archives.compare_zip_files,
    # text files
    "compare_text_file": text_files.compare_text_file,
    "compare_epub": text_files.compare_epub,
    "compare_htmls": text_files.compare_htmls,
    "check_thunderbird_folder": text_files.check_thunderbird_folder,
    # desktop state
    "is_utc_0": desktop.is_utc_0,
    "check_gnome_favorite_apps": desktop.check_gnome_favorite_apps,
    "check_moved_jpgs": desktop.check_moved_jpgs,
    "is_extension_installed": desktop.is_extension_installed,
    # audio
    "check_mp3_meta": audio_tags.check_mp3_meta,
    "compare_audios": audio_similarity.compare_audios,
    # presentations
    "compare_pptx_files": slides.compare_pptx_files,
    # code
    "check_python_file_by_test_suite": python_tests.check_python_file_by_test_suite,
}


def unsupported_options(func: str, options: dict[str, Any]) -> list[str]:
    """Option values of a supported metric that we cannot honour (empty when all are fine)."""
    if func == "compare_table":
        return table.unsupported_table_rules(options)
    if func == "compare_archive":
        kind = options.get("file_type", "text")
        if kind not in archives.ARCHIVE_FILE_TYPES:
            return [f"compare_archive file_type {kind}"]
    if func == "compare_pptx_files":
        return slides.unknown_options(options)
    return []


__all__ = ["METRICS", "Metric", "unsupported_options"]
