"""After GX wrote pages: trainguard's own site pages, then every written page made offline."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from training.core.settings import Settings
from training.docs_site import site_dir
from training.docs_site.paths import suite_page

log = logging.getLogger(__name__)


def finish_site(settings: Settings, pages: Iterable[Path] | None = None, site: Path | None = None) -> None:
    """After GX wrote pages: trainguard's pages, then rewrite ``pages`` (default all) offline.

    ``site`` is where the files are now (a new build folder during a full build); links are
    computed for the site's final place, ``settings.data_docs_dir``.
    """
    from training.docs_site.gx_pages import SiteFacts, touch_up
    from training.docs_site.offline import make_offline
    from training.docs_site.pages import write_site_pages
    from training.warehouse.engine import get_engine

    site = site or settings.data_docs_dir
    engine = get_engine(settings.warehouse_url)
    write_site_pages(site, engine, settings.gx_root, final_site=settings.data_docs_dir)
    todo = None if pages is None else list(dict.fromkeys([*pages, site / "index.html"]))
    facts = SiteFacts(engine, settings.data_docs_dir, settings.gx_root, settings.pipelines_dir)
    # Before the offline pass, which would turn links to GX's web site into dead "#" links.
    touch_up(site, list(site.rglob("*.html")) if todo is None else todo, facts)
    unknown = make_offline(site, todo)
    if unknown:
        log.warning("Data Docs refer to resources outside the site: %s", ", ".join(unknown))


def pages_of_validation(settings: Settings, written: list[Path], suites: set[str]) -> list[Path]:
    """The pages GX's docs action just wrote for a validation, with its suites' pages."""
    site = settings.data_docs_dir
    return [*written, *(page for page in (suite_page(site, s) for s in sorted(suites)) if page.is_file())]


def site_errors() -> tuple[type[BaseException], ...]:
    """What updating the site can raise: the file system (a full disk, an unwritable folder, a
    lock held too long), GX's site builder and renderers, Jinja, the warehouse read for
    trainguard's pages, a page that is not UTF-8. Anything else is a bug and is not hidden."""
    import jinja2
    import sqlalchemy as sa
    from great_expectations.exceptions import GreatExpectationsError

    return (OSError, UnicodeError, GreatExpectationsError, jinja2.TemplateError, sa.exc.SQLAlchemyError)


def describe(exc: BaseException) -> str:
    """One line saying why the site was not updated."""
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def site_not_updated(what: str, exc: BaseException) -> None:
    """Log a failed site update with its traceback and report it to the run (``gx/results``):
    the validation is stored and recorded, ``trainguard docs build`` repairs the site."""
    from training.gx.results import note_site_problem

    log.warning("%s", what, exc_info=exc)
    note_site_problem(describe(exc))


def refresh_after_validation(settings: Settings, pages: list[Path]) -> None:
    """Refresh trainguard's pages and make ``pages`` offline; a docs problem must not turn a
    recorded validation into a crash: it is reported to the run instead."""
    try:
        with site_dir.locked(settings.data_docs_dir, exclusive=False):
            finish_site(settings, pages)
    except site_errors() as exc:
        site_not_updated("could not refresh trainguard's Data Docs pages", exc)
