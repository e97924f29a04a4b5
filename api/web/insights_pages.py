"""The coordinator's insights page (issue 17): what her cooperative's pages and
listings did, week by week: views, shared previews and orders as bars drawn on the
server (inline SVG, no script, mirrored right to left in Arabic), a table by source, one
by product, a period of 4, 12 or 26 weeks, and the figures as CSV.

It lives under /review, behind the review page's sign-in (api/web/review_pages.py);
``/insights`` only points there, like ``/inventory``. The figures are
api/services/insights/'s; the REST API serves the same at /api/v1/insights.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, g, redirect, request
from markupsafe import Markup

from ..services.insights import export
from ..services.insights import figures as figures_mod
from ..services.insights.figures import COOPERATIVE_PAGE, Cell
from ..services.insights.periods import MAX_WEEKS, PAGE_CHOICES, last_weeks, page_weeks
from ..state import hirfa
from . import i18n
from .coordinator_guard import coordinator_and_cooperative
from .display_names import cooperative_name
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, csrf_token

blueprint = page_blueprint("insights")

PATH = f"{COOKIE_PATH}/insights"
CSV_PATH = f"{PATH}.csv"
# The bars: one panel per measure, each with its own scale (orders are a few where views
# are hundreds), in a viewBox the page stretches to its width.
CHART_WIDTH, PANEL_HEIGHT, LABEL_HEIGHT = 360, 56, 16
MEASURES = (("views", "#1f6f8b"), ("previews", "#2e7d32"), ("orders", "#b35c00"))

TEXT: dict[str, dict[str, str]] = {
    "ar": {
        "insights": "إحصائيات التعاونية",
        "ins_period": "المدة",
        "ins_weeks": "آخر {n} أسبوعًا",
        "ins_weeks_4": "آخر 4 أسابيع",
        "ins_show": "عرض",
        "ins_from_to": "من {start} إلى {end}",
        "ins_views": "المشاهدات",
        "ins_previews": "المعاينات المشتركة",
        "ins_visitors": "الزوار",
        "ins_previews_short": "المعاينات",
        "ins_orders": "الطلبات",
        "ins_delivered": "طلبات مُسلَّمة",
        "ins_delivered_value": "قيمة المُسلَّم",
        "ins_by_week": "أسبوعًا بأسبوع",
        "ins_by_source": "من أين يأتي الزوار",
        "ins_by_product": "حسب المنتج",
        "ins_source": "المصدر",
        "ins_product": "المنتج",
        "ins_coop_page": "صفحة التعاونية",
        "ins_week": "الأسبوع",
        "ins_week_numbers": "الأرقام أسبوعًا بأسبوع",
        "ins_no_views": "لا مشاهدات في هذه المدة.",
        "ins_no_products": "لا منتجات معروضة ولا أرقام في هذه المدة.",
        "ins_csv": "تحميل الأرقام (CSV)",
        "ins_note": "لا تُحسب برامج الفهرسة. المعاينة المشتركة هي بطاقة الرابط التي يعرضها "
        "واتساب أو فيسبوك عند مشاركة الصفحة. الطلبات لا مصدر لها.",
        "ins_chart": "رسم بياني: {measure} في كل أسبوع",
        "ins_max": "الأعلى: {n}",
        "src_whatsapp": "واتساب",
        "src_facebook": "فيسبوك",
        "src_qr": "رمز QR",
        "src_link": "رابط مشترك",
        "src_direct": "دخول مباشر",
        "src_internal": "من صفحات حرفة",
        "src_other": "مصادر أخرى",
        "ins_too_long": "المدة المطلوبة أطول من سنة: اختاري 52 أسبوعًا على الأكثر.",
    },
    "fr": {
        "insights": "Statistiques de la coopérative",
        "ins_period": "Période",
        "ins_weeks": "{n} dernières semaines",
        "ins_weeks_4": "4 dernières semaines",
        "ins_show": "Afficher",
        "ins_from_to": "du {start} au {end}",
        "ins_views": "Vues",
        "ins_previews": "Aperçus partagés",
        "ins_visitors": "Visiteurs",
        "ins_previews_short": "Aperçus",
        "ins_orders": "Commandes",
        "ins_delivered": "Commandes livrées",
        "ins_delivered_value": "Valeur livrée",
        "ins_by_week": "Semaine par semaine",
        "ins_by_source": "D'où viennent les visiteurs",
        "ins_by_product": "Par produit",
        "ins_source": "Source",
        "ins_product": "Produit",
        "ins_coop_page": "Page de la coopérative",
        "ins_week": "Semaine",
        "ins_week_numbers": "Les chiffres semaine par semaine",
        "ins_no_views": "Aucune vue sur cette période.",
        "ins_no_products": "Aucun produit en ligne ni chiffre sur cette période.",
        "ins_csv": "Télécharger les chiffres (CSV)",
        "ins_note": "Les robots d'indexation ne sont pas comptés. Un aperçu partagé est la "
        "carte que WhatsApp ou Facebook affiche quand la page est partagée. Les commandes "
        "n'ont pas de source.",
        "ins_chart": "Graphique : {measure} par semaine",
        "ins_max": "max. {n}",
        "src_whatsapp": "WhatsApp",
        "src_facebook": "Facebook",
        "src_qr": "Code QR",
        "src_link": "Lien partagé",
        "src_direct": "Accès direct",
        "src_internal": "Pages Hirfa",
        "src_other": "Autres",
        "ins_too_long": "La période demandée dépasse un an : 52 semaines au plus.",
    },
    "en": {
        "insights": "Cooperative insights",
        "ins_period": "Period",
        "ins_weeks": "Last {n} weeks",
        "ins_weeks_4": "Last 4 weeks",
        "ins_show": "Show",
        "ins_from_to": "{start} to {end}",
        "ins_views": "Views",
        "ins_previews": "Shared previews",
        "ins_visitors": "Visitors",
        "ins_previews_short": "Previews",
        "ins_orders": "Orders",
        "ins_delivered": "Delivered orders",
        "ins_delivered_value": "Delivered value",
        "ins_by_week": "Week by week",
        "ins_by_source": "Where visitors come from",
        "ins_by_product": "By product",
        "ins_source": "Source",
        "ins_product": "Product",
        "ins_coop_page": "The cooperative's page",
        "ins_week": "Week",
        "ins_week_numbers": "The figures week by week",
        "ins_no_views": "No views in this period.",
        "ins_no_products": "No listings online and no figures in this period.",
        "ins_csv": "Download the figures (CSV)",
        "ins_note": "Search-engine robots are not counted. A shared preview is the card "
        "WhatsApp or Facebook shows when the page is shared. Orders have no source.",
        "ins_chart": "Chart: {measure} per week",
        "ins_max": "max {n}",
        "src_whatsapp": "WhatsApp",
        "src_facebook": "Facebook",
        "src_qr": "QR code",
        "src_link": "Shared link",
        "src_direct": "Direct",
        "src_internal": "Hirfa pages",
        "src_other": "Other",
        "ins_too_long": "The period asked for is over a year: 52 weeks at most.",
    },
}
i18n.add(TEXT)


@blueprint.get("/insights")
def insights_short():
    """The address a coordinator types; the page itself is where the sign-in cookies go."""
    query = request.query_string.decode("latin-1")
    return redirect(f"{PATH}?{query}" if query else PATH, 302)


@blueprint.get(PATH)
def insights_page():
    found = coordinator_and_cooperative(PATH)
    if isinstance(found, Response):
        return found
    user, coops, coop = found
    lang = g.lang
    weeks = page_weeks(request.args.get("weeks"))
    period = last_weeks(weeks)
    figures = figures_mod.of_cooperative(hirfa().db(), coop["id"], period)
    here = {"cooperative": coop["id"], "weeks": weeks}
    by_week = figures.by_week()
    return render(
        "insights.html",
        user=user,
        coops=[(c["id"], cooperative_name(c, lang)) for c in coops],
        coop=coop,
        coop_name=cooperative_name(coop, lang),
        weeks=weeks,
        choices=PAGE_CHOICES,
        period_text=Markup(i18n.text(lang, "ins_from_to")).format(
            start=_day(period.start, lang), end=_day(period.end, lang)
        ),
        totals=_totals(figures.total(), lang),
        charts=[_chart(by_week, name, colour, lang) for name, colour in MEASURES],
        week_rows=[
            {"week": week, "start": _day(monday, lang), **cell.as_dict()}
            for week, monday, cell in reversed(by_week)
        ],
        sources=[
            {"source": source, "label": source_label(source, lang), **cell.as_dict()}
            for source, cell in figures.by_source()
        ],
        pages=[_page_row(figures, page, cell, lang) for page, cell in figures.by_page()],
        csv_url=f"{CSV_PATH}?{urlencode(here)}",
        csrf=csrf_token(),
    )


@blueprint.get(CSV_PATH)
def insights_csv():
    """The same CSV as GET /api/v1/insights.csv, for a browser signed in on the page. Its
    period is the page's (`weeks`, up to a year): beyond, the page's 400."""
    found = coordinator_and_cooperative(PATH)
    if isinstance(found, Response):
        return found
    _, _, coop = found
    raw = request.args.get("weeks") or "4"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:6]) <= MAX_WEEKS:
        return error_page(400, "bad_request", "ins_too_long", back=PATH)
    period = last_weeks(int(raw))
    return Response(
        export.streamed(hirfa().pool, coop["id"], period, g.lang),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(coop["id"], period)}"'
        },
    )


def source_label(source: str, lang: str) -> Markup:
    if source.startswith("ref:"):
        return Markup('<bdi dir="ltr">{}</bdi>').format(source.removeprefix("ref:"))
    key = f"src_{source}"
    return Markup("{}").format(i18n.text(lang, key) if key in i18n.STRINGS["en"] else source or "—")


def _day(day, lang: str) -> Markup:
    return Markup('<bdi dir="ltr">{}</bdi>').format(day.strftime("%d/%m/%Y"))


def _totals(cell: Cell, lang: str) -> list[tuple[str, str, Any]]:
    return [
        ("views", "ins_views", cell.views),
        ("previews", "ins_previews", cell.previews),
        ("visitors", "ins_visitors", cell.visitors),
        ("orders", "ins_orders", cell.orders),
        ("delivered", "ins_delivered", cell.delivered),
        ("value", "ins_delivered_value", i18n.price(cell.delivered_centimes, lang)),
    ]


def _page_row(figures, page: str, cell: Cell, lang: str) -> dict[str, Any]:
    if page == COOPERATIVE_PAGE:
        name = Markup("<i>{}</i>").format(i18n.text(lang, "ins_coop_page"))
    else:
        product = figures.products.get(page)
        text, text_lang = i18n.pick(product.title if product else None, lang)
        name = Markup('<a href="/p/{}" lang="{}" dir="auto">{}</a>').format(
            page.removeprefix("product:"), text_lang, text or page
        )
    return {
        "page": page,
        "name": name,
        **cell.as_dict(),
        "value": i18n.price(cell.delivered_centimes, lang),
    }


def _chart(by_week, measure: str, colour: str, lang: str) -> dict[str, Any]:
    """One panel of bars, a week each, oldest first in the reading direction: from the
    left in French and English, from the right in Arabic."""
    rtl = lang in i18n.RTL
    count = len(by_week)
    slot = CHART_WIDTH / count
    bar = max(slot * 0.7, 1.0)
    values = [getattr(cell, measure) for _, _, cell in by_week]
    top = max(values) or 1
    label = i18n.text(lang, f"ins_{measure}")
    every = max(1, -(-count // 5))  # at most about five dates under the bars
    parts = []
    for n, ((week, monday, _), value) in enumerate(zip(by_week, values, strict=True)):
        x = (count - 1 - n) * slot if rtl else n * slot
        height = round(value / top * (PANEL_HEIGHT - 4), 1)
        y = PANEL_HEIGHT - height
        tip = f"{week} ({monday.strftime('%d/%m')}): {value}"
        parts.append(
            Markup(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
            ).format(round(x + (slot - bar) / 2, 1), y, round(bar, 1), max(height, 0), colour, tip)
        )
        if n % every == 0 or n == count - 1:
            parts.append(
                Markup(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="#555" '
                    'direction="ltr">{}</text>'
                ).format(
                    round(x + slot / 2, 1),
                    PANEL_HEIGHT + LABEL_HEIGHT - 3,
                    monday.strftime("%d/%m"),
                )
            )
    height = PANEL_HEIGHT + LABEL_HEIGHT
    svg = Markup(
        '<svg class="bars" viewBox="0 0 {w} {h}" role="img" aria-label="{aria}" '
        'data-measure="{m}">'
        '<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#bbb" stroke-width="1"/>'
        "{bars}</svg>"
    ).format(
        w=CHART_WIDTH,
        h=height,
        base=PANEL_HEIGHT,
        aria=i18n.text(lang, "ins_chart", measure=label),
        m=measure,
        bars=Markup("").join(parts),
    )
    return {
        "measure": measure,
        "label": label,
        "total": sum(values),
        "max": i18n.text(lang, "ins_max", n=max(values)),
        "svg": svg,
        "colour": colour,
    }
