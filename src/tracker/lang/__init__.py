"""Languages: what a page is written in, and the per-language data the stages read.

- ``detect``: the page's language from ``<html lang>``, ``og:locale``, JSON-LD
  ``inLanguage``, else from its text (script, then stop words);
- ``noise``: relative times, counters, share-bar text and "Updated" leftovers per language,
  removed by ``extract`` from short lines only;
- ``numbers``: figures in local formats (``4.300``, ``4 300``, ``4’300``, ``4,3 %``,
  Arabic-Indic digits) and what is a date, a tally or a road number;
- ``phrases``: correction and editor's-note phrases, abbreviations, month names;
- ``titles``: alert-title templates per language.

Everything here is data and pure functions; the stages call in, nothing here calls out.
"""

from tracker.lang.detect import LANGUAGES, detect_text_language, page_language

__all__ = ["LANGUAGES", "detect_text_language", "page_language"]
