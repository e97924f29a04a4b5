"""A certificate's public pages: ``/v/{code}`` (is it genuine, is it still valid), the
printable A4 certificate (``/v/{code}/print``) and its PDF (``/v/{code}.pdf``).

Each reads the ``certificates`` row by its primary key (certificates.lookup, which
forgives a code typed from paper) and shows only what the certificate says: her name,
the course, the issuer, the hours, the date and whether it was revoked. Cached for a
minute at most, so a revocation shows within one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, g, redirect, render_template, request

from ..services.training import certificates, printing
from ..state import hirfa
from . import i18n
from .rendering import page_blueprint, render

blueprint = page_blueprint("certificates")

CACHE = "public, max-age=60"  # a revocation shows within a minute
CODE_MAX = 40  # longer than any code typed with spaces; longer is not looked up

# The words of these pages, beside them rather than in i18n.py: they are read only here.
WORDS: dict[str, dict[str, str]] = {
    "ar": {
        "title": "التحقق من شهادة",
        "certificate": "شهادة",
        "certifies": "نشهد أن",
        "completed": "أتمّت بنجاح التكوين",
        "holder": "صاحبة الشهادة",
        "course": "التكوين",
        "issuer": "الجهة المانحة",
        "hours": "المدة",
        "issued": "تاريخ المنح",
        "code": "رمز التحقق",
        "valid": "شهادة صالحة",
        "valid_text": "أصدرت هذه الجهة هذه الشهادة، وهي لم تُلغَ.",
        "revoked": "شهادة ملغاة",
        "revoked_on": "أُلغيت في {date}",
        "reason": "السبب:",
        "unknown": "لا توجد شهادة بهذا الرمز",
        "unknown_text": "تأكدوا من الرمز المكتوب على الشهادة:",
        "print": "نسخة للطباعة",
        "pdf": "تحميل PDF",
        "file": "ملف الشهادة الموقّع",
        "scan": "امسحوا الرمز للتحقق من هذه الشهادة",
        "pdf_unavailable": "لا يمكن إنشاء ملف PDF على هذا الخادم",
        "pdf_unavailable_text": "استعملوا نسخة الطباعة واطبعوها من المتصفح.",
        "hour_1": "ساعة واحدة",
        "hour_2": "ساعتان",
        "hour_few": "{n} ساعات",
        "hour_many": "{n} ساعة",
    },
    "fr": {
        "title": "Vérifier un certificat",
        "certificate": "Certificat",
        "certifies": "Nous certifions que",
        "completed": "a suivi avec succès la formation",
        "holder": "Titulaire",
        "course": "Formation",
        "issuer": "Délivré par",
        "hours": "Durée",
        "issued": "Date",
        "code": "Code de vérification",
        "valid": "Certificat valide",
        "valid_text": "Ce certificat a été délivré par cet organisme et n'a pas été révoqué.",
        "revoked": "Certificat révoqué",
        "revoked_on": "Révoqué le {date}",
        "reason": "Motif\u00a0:",
        "unknown": "Aucun certificat ne porte ce code",
        "unknown_text": "Vérifiez le code imprimé sur le certificat :",
        "print": "Version à imprimer",
        "pdf": "Télécharger le PDF",
        "file": "Fichier signé du certificat",
        "scan": "Scannez pour vérifier ce certificat",
        "pdf_unavailable": "Ce serveur ne peut pas produire de PDF",
        "pdf_unavailable_text": "Ouvrez la version à imprimer et imprimez-la depuis le navigateur.",
        "hour_1": "1 heure",
        "hour_2": "2 heures",
        "hour_few": "{n} heures",
        "hour_many": "{n} heures",
    },
    "en": {
        "title": "Verify a certificate",
        "certificate": "Certificate",
        "certifies": "This certifies that",
        "completed": "has successfully completed the course",
        "holder": "Holder",
        "course": "Course",
        "issuer": "Issued by",
        "hours": "Duration",
        "issued": "Date",
        "code": "Verification code",
        "valid": "Valid certificate",
        "valid_text": "This certificate was issued by this organisation and has not been revoked.",
        "revoked": "Revoked certificate",
        "revoked_on": "Revoked on {date}",
        "reason": "Reason:",
        "unknown": "No certificate has this code",
        "unknown_text": "Check the code printed on the certificate:",
        "print": "Printable version",
        "pdf": "Download the PDF",
        "file": "Signed certificate file",
        "scan": "Scan to verify this certificate",
        "pdf_unavailable": "This server cannot make PDFs",
        "pdf_unavailable_text": "Open the printable version and print it from the browser.",
        "hour_1": "1 hour",
        "hour_2": "2 hours",
        "hour_few": "{n} hours",
        "hour_many": "{n} hours",
    },
}


def word(key: str, **values: Any) -> str:
    text = WORDS[g.lang][key]
    return text.format(**values) if values else text


def hours(n: int) -> str:
    """Arabic counts differently for one, two, three to ten, and more."""
    if n in (1, 2):
        return word(f"hour_{n}")
    return word("hour_few" if 3 <= n <= 10 else "hour_many", n=n)


def _find(code: str) -> dict[str, Any] | None:
    return certificates.lookup(hirfa().db(), code) if len(code) <= CODE_MAX else None


def _title(localised: dict[str, str]) -> tuple[str, str]:
    """The course's title in the page's language; English pages fall back on French
    (read by more of their readers than Arabic), as pages.coop_name does."""
    order = ("en", "fr", "ar") if g.lang == "en" else (g.lang, *i18n.LANGS)
    return next(((localised[c], c) for c in order if localised.get(c)), ("", g.lang))


def _facts(found: dict[str, Any]) -> dict[str, Any]:
    """What the pages show of a certificate, and nothing else: not her id, not her
    cooperative, not the credential's identifiers."""
    title, title_lang = _title(found["course_title"] or {})
    return {
        "code": found["code"],
        "holder": found["holder_name"],
        "course": title,
        "course_lang": title_lang,
        "course_dir": "rtl" if title_lang in i18n.RTL else "ltr",
        "issuer": found["issuer_name"],
        "hours": hours(found["hours"]),
        "issued": i18n.date(found["issued_at"], g.lang),
        "revoked": (
            {"on": i18n.date(found["revoked_at"], g.lang), "reason": found["revoked_reason"]}
            if found["revoked_at"]
            else None
        ),
    }


def verify_url(code: str) -> str:
    """The absolute address of the verification page, as the QR code carries it: the
    configured public URL, else the address this request came to."""
    root = hirfa().settings.public_url or request.url_root
    return f"{root.rstrip('/')}/v/{code}"


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE
    return response


def _unknown(code: str) -> Response:
    response = render("verify.html", status=404, cert=None, typed=code[:CODE_MAX], w=word)
    return _cached(response)


@blueprint.get("/v/<code>")
def verify_page(code: str):
    found = _find(code)
    if found is None:
        return _unknown(code)
    if code != found["code"]:
        # A code typed from paper: the page at its one canonical address.
        query = urlencode(list(request.args.items(multi=True)))
        return redirect(f"/v/{found['code']}" + (f"?{query}" if query else ""), 301)
    links = {lang: f"/v/{found['code']}/print?lang={lang}" for lang in i18n.LANGS}
    return _cached(
        render(
            "verify.html",
            cert=_facts(found),
            print_url=links[g.lang],
            pdf_url=f"/v/{found['code']}.pdf?lang={g.lang}",
            file_url=f"/v/{found['code']}/credential.jwt",
            w=word,
        )
    )


def _printable(found: dict[str, Any]) -> str:
    """The A4 certificate in the page's language: self-contained (its CSS inline, its QR
    code an inline SVG), the same HTML for the browser and for the PDF."""
    rtl = g.lang in i18n.RTL
    url = verify_url(found["code"])
    return render_template(
        "certificate_print.html",
        lang=g.lang,
        dir="rtl" if rtl else "ltr",
        start="right" if rtl else "left",
        end="left" if rtl else "right",
        cert=_facts(found),
        url=url,
        qr=printing.qr_svg(url),
        w=word,
    )


@blueprint.get("/v/<code>/print")
def print_page(code: str):
    found = _find(code)
    if found is None:
        return _unknown(code)
    return _cached(Response(_printable(found), mimetype="text/html"))


@blueprint.get("/v/<code>.pdf")
def print_pdf(code: str):
    found = _find(code)
    if found is None:
        return _unknown(code)
    try:
        body = printing.pdf(_printable(found))
    except printing.PdfUnavailable:
        response = render(
            "verify.html",
            status=503,
            cert=None,
            unavailable=True,
            print_url=f"/v/{found['code']}/print?lang={g.lang}",
            w=word,
        )
        response.headers["X-Hirfa-Error"] = "pdf_unavailable"
        return response
    response = Response(body, mimetype="application/pdf")
    name = f"certificate-{found['code']}-{g.lang}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return _cached(response)
