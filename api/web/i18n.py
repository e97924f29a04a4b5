"""The pages' words in Arabic, French and English, and how a page picks its language.

Plain dicts rather than gettext: three languages, a few dozen strings, and no build
step to forget on a regional server. Arabic is the default: most artisans and many
buyers in Morocco read it first.
"""

from __future__ import annotations

from typing import Any

from flask import Request

from schemas.documents import REASON_CODES
from schemas.taxonomy import CATEGORIES, REGIONS

LANGS = ("ar", "fr", "en")
DEFAULT = "ar"
RTL = {"ar"}
COOKIE = "lang"
OG_LOCALE = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_US"}
LANG_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "ar": {
        "site": "حرفة",
        "tagline": "صناعة تقليدية من تعاونيات المغرب",
        "catalogue": "الكتالوج",
        "search": "بحث",
        "search_placeholder": "زربية، طاجين، أركان…",
        "all_categories": "كل الأصناف",
        "no_results": "لا توجد منتجات.",
        "next_page": "الصفحة التالية",
        "first_page": "الصفحة الأولى",
        "price_on_request": "السعر عند الطلب",
        "by": "من صنع",
        "cooperative": "التعاونية",
        "region": "الجهة",
        "category": "الصنف",
        "options": "الاختيارات",
        "made_to_order": "يُصنع عند الطلب في {days} يومًا",
        "made_to_order_nodays": "يُصنع عند الطلب",
        "in_stock": "متوفر",
        "materials": "المواد",
        "technique": "التقنية",
        "dimensions": "الأبعاد",
        "story": "الحكاية",
        "visiting": "زيارة التعاونية",
        "contact": "التواصل",
        "contact_whatsapp": "واتساب",
        "contact_phone": "الهاتف",
        "contact_email": "البريد الإلكتروني",
        "contact_website": "الموقع",
        "contact_facebook": "فيسبوك",
        "contact_instagram": "إنستغرام",
        "products_of": "منتجات التعاونية",
        "not_found": "الصفحة غير موجودة",
        "not_found_text": "هذا المنتج غير متوفر في الكتالوج.",
        "bad_request": "طلب غير صالح",
        "back": "العودة إلى الكتالوج",
        "review": "مراجعة المنتجات",
        "sign_in": "تسجيل الدخول",
        "phone": "رقم الهاتف",
        "password": "كلمة السر",
        "sign_out": "تسجيل الخروج",
        "wrong_credentials": "رقم الهاتف أو كلمة السر غير صحيح.",
        "locked_out": "محاولات كثيرة. حاولي مرة أخرى بعد قليل.",
        "locked_ask": "محاولات خاطئة كثيرة من أجهزة جديدة: الدخول من جهاز جديد مقفل. "
        "ادخلي من جهاز دخلتِ منه من قبل، أو اطلبي من المسؤول رفع القفل.",
        "not_coordinator": "هذه الصفحة خاصة بمنسقات التعاونيات.",
        "form_expired": "انتهت صلاحية الاستمارة. أعيدي تحميل الصفحة وحاولي مرة أخرى.",
        "queue_empty": "لا توجد منتجات في انتظار المراجعة.",
        "waiting": "في الانتظار",
        "submitted_at": "أُرسل في",
        "approve": "قبول",
        "request_changes": "طلب تعديلات",
        "reject": "رفض",
        "reasons": "الأسباب",
        "comment": "تعليق",
        "done_approve": "تم قبول المنتج.",
        "done_request_changes": "أُرسل طلب التعديلات.",
        "done_reject": "تم رفض المنتج.",
        "need_reason": "اختاري سببًا واحدًا على الأقل لطلب التعديلات.",
        "need_comment": "اكتبي في التعليق ما يجب تعديله عندما تختارين «سبب آخر».",
        "product_changed": "تغيّر المنتج منذ فتحتِ الصفحة. انظري إليه من جديد ثم قرّري.",
        "not_submitted": "هذا المنتج لم يعد في انتظار المراجعة.",
        "forbidden": "لا يمكنك مراجعة هذا المنتج.",
        "reason_photo_blurry": "الصورة غير واضحة",
        "reason_photo_too_dark": "الصورة مظلمة جدًا",
        "reason_price_missing": "السعر غير موجود",
        "reason_description_missing": "الوصف غير موجود",
        "reason_wrong_category": "الصنف غير صحيح",
        "reason_other": "سبب آخر",
        "status_draft": "مسودة",
        "status_submitted": "في الانتظار",
        "status_approved": "مقبول",
        "status_changes_requested": "تعديلات مطلوبة",
        "status_rejected": "مرفوض",
        "status_archived": "مؤرشف",
        "currency": "درهم",
    },
    "fr": {
        "site": "Hirfa",
        "tagline": "L'artisanat des coopératives du Maroc",
        "catalogue": "Catalogue",
        "search": "Rechercher",
        "search_placeholder": "tapis, tajine, argan…",
        "all_categories": "Toutes les catégories",
        "no_results": "Aucun produit.",
        "next_page": "Page suivante",
        "first_page": "Première page",
        "price_on_request": "Prix sur demande",
        "by": "Par",
        "cooperative": "Coopérative",
        "region": "Région",
        "category": "Catégorie",
        "options": "Options",
        "made_to_order": "Fait sur commande en {days} jours",
        "made_to_order_nodays": "Fait sur commande",
        "in_stock": "En stock",
        "materials": "Matières",
        "technique": "Technique",
        "dimensions": "Dimensions",
        "story": "L'histoire",
        "visiting": "Visiter la coopérative",
        "contact": "Contact",
        "contact_whatsapp": "WhatsApp",
        "contact_phone": "Téléphone",
        "contact_email": "E-mail",
        "contact_website": "Site web",
        "contact_facebook": "Facebook",
        "contact_instagram": "Instagram",
        "products_of": "Produits de la coopérative",
        "not_found": "Page introuvable",
        "not_found_text": "Ce produit n'est pas au catalogue.",
        "bad_request": "Requête invalide",
        "back": "Retour au catalogue",
        "review": "Revue des produits",
        "sign_in": "Se connecter",
        "phone": "Téléphone",
        "password": "Mot de passe",
        "sign_out": "Se déconnecter",
        "wrong_credentials": "Téléphone ou mot de passe incorrect.",
        "locked_out": "Trop d'essais. Réessayez dans un moment.",
        "locked_ask": "Trop d'essais depuis de nouveaux appareils : la connexion depuis un "
        "nouvel appareil est bloquée. Connectez-vous depuis un appareil déjà utilisé, ou "
        "demandez à un administrateur de lever le blocage.",
        "not_coordinator": "Cette page est réservée aux coordinatrices des coopératives.",
        "form_expired": "Le formulaire a expiré. Rechargez la page et réessayez.",
        "queue_empty": "Aucun produit en attente de revue.",
        "waiting": "En attente",
        "submitted_at": "Soumis le",
        "approve": "Approuver",
        "request_changes": "Demander des modifications",
        "reject": "Refuser",
        "reasons": "Raisons",
        "comment": "Commentaire",
        "done_approve": "Produit approuvé.",
        "done_request_changes": "Demande de modifications envoyée.",
        "done_reject": "Produit refusé.",
        "need_reason": "Cochez au moins une raison pour demander des modifications.",
        "need_comment": (
            "Écrivez ce qu'il faut changer dans le commentaire quand la raison est « autre »."
        ),
        "product_changed": (
            "Le produit a changé depuis que vous l'avez ouvert : regardez-le à nouveau, "
            "puis décidez."
        ),
        "not_submitted": "Ce produit n'est plus en attente de revue.",
        "forbidden": "Vous ne pouvez pas revoir ce produit.",
        "reason_photo_blurry": "Photo floue",
        "reason_photo_too_dark": "Photo trop sombre",
        "reason_price_missing": "Prix manquant",
        "reason_description_missing": "Description manquante",
        "reason_wrong_category": "Mauvaise catégorie",
        "reason_other": "Autre",
        "status_draft": "Brouillon",
        "status_submitted": "En attente",
        "status_approved": "Approuvé",
        "status_changes_requested": "Modifications demandées",
        "status_rejected": "Refusé",
        "status_archived": "Archivé",
        "currency": "DH",
    },
    "en": {
        "site": "Hirfa",
        "tagline": "Crafts from Morocco's cooperatives",
        "catalogue": "Catalogue",
        "search": "Search",
        "search_placeholder": "carpet, tajine, argan…",
        "all_categories": "All categories",
        "no_results": "No products.",
        "next_page": "Next page",
        "first_page": "First page",
        "price_on_request": "Price on request",
        "by": "By",
        "cooperative": "Cooperative",
        "region": "Region",
        "category": "Category",
        "options": "Options",
        "made_to_order": "Made to order in {days} days",
        "made_to_order_nodays": "Made to order",
        "in_stock": "In stock",
        "materials": "Materials",
        "technique": "Technique",
        "dimensions": "Dimensions",
        "story": "The story",
        "visiting": "Visiting the cooperative",
        "contact": "Contact",
        "contact_whatsapp": "WhatsApp",
        "contact_phone": "Phone",
        "contact_email": "Email",
        "contact_website": "Website",
        "contact_facebook": "Facebook",
        "contact_instagram": "Instagram",
        "products_of": "Products of the cooperative",
        "not_found": "Page not found",
        "not_found_text": "This product is not in the catalogue.",
        "bad_request": "Bad request",
        "back": "Back to the catalogue",
        "review": "Product review",
        "sign_in": "Sign in",
        "phone": "Phone number",
        "password": "Password",
        "sign_out": "Sign out",
        "wrong_credentials": "Wrong phone number or password.",
        "locked_out": "Too many attempts. Try again in a while.",
        "locked_ask": "Too many wrong attempts from new devices: signing in from a new "
        "device is locked. Sign in from a device you have used before, or ask an "
        "administrator to lift the lock.",
        "not_coordinator": "This page is for cooperative coordinators.",
        "form_expired": "The form has expired. Reload the page and try again.",
        "queue_empty": "Nothing is waiting for review.",
        "waiting": "Waiting",
        "submitted_at": "Submitted",
        "approve": "Approve",
        "request_changes": "Request changes",
        "reject": "Reject",
        "reasons": "Reasons",
        "comment": "Comment",
        "done_approve": "Product approved.",
        "done_request_changes": "Change request sent.",
        "done_reject": "Product rejected.",
        "need_reason": "Tick at least one reason to request changes.",
        "need_comment": 'Write what to change in the comment when the reason is "other".',
        "product_changed": (
            "The product changed since you opened the page: look at it again, then decide."
        ),
        "not_submitted": "This product is no longer waiting for review.",
        "forbidden": "You cannot review this product.",
        "reason_photo_blurry": "Photo blurry",
        "reason_photo_too_dark": "Photo too dark",
        "reason_price_missing": "Price missing",
        "reason_description_missing": "Description missing",
        "reason_wrong_category": "Wrong category",
        "reason_other": "Other",
        "status_draft": "Draft",
        "status_submitted": "Waiting",
        "status_approved": "Approved",
        "status_changes_requested": "Changes requested",
        "status_rejected": "Rejected",
        "status_archived": "Archived",
        "currency": "MAD",
    },
}

_CATEGORY = {c["code"]: c for c in CATEGORIES}
_REGION = {r["code"]: r for r in REGIONS}


def choose(request: Request) -> tuple[str, bool]:
    """(language, whether to remember it): ``?lang=``, then the cookie, then the browser."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGS:
        return remembered, False
    return request.accept_languages.best_match(LANGS) or DEFAULT, False


def text(lang: str, key: str, **values: Any) -> str:
    value = STRINGS[lang].get(key) or STRINGS["en"][key]
    return value.format(**values) if values else value


def pick(localised: dict[str, str] | None, lang: str) -> tuple[str, str]:
    """(text, its language): the page's language first, else whichever the artisan wrote.

    The language is returned so the template can mark a French title on an Arabic page
    with its own ``lang`` and direction, instead of letting the bidi algorithm guess.
    """
    localised = localised or {}
    for code in (lang, *LANGS):
        if localised.get(code):
            return localised[code], code
    return "", lang


def category(code: str | None, lang: str) -> str:
    return _CATEGORY[code][lang] if code in _CATEGORY else (code or "")


def categories(lang: str) -> list[tuple[str, str]]:
    return [(c["code"], c[lang]) for c in CATEGORIES]


def region(code: str | None, lang: str) -> str:
    return _REGION[code][lang] if code in _REGION else (code or "")


def reasons(lang: str) -> list[tuple[str, str]]:
    return [(code, text(lang, f"reason_{code}")) for code in REASON_CODES]


def price(centimes: int | None, lang: str, signed: bool = False) -> str:
    """Dirhams from integer centimes, no float on the way: 450000 -> "4 500 DH"."""
    if centimes is None:
        return text(lang, "price_on_request")
    whole, cents = divmod(abs(centimes), 100)
    sep = "," if lang == "en" else "\u202f"  # narrow no-break space: never wraps mid-number
    amount = f"{whole:,}".replace(",", sep)
    if cents:
        amount += ("." if lang == "en" else ",") + f"{cents:02d}"
    if centimes < 0 or signed:
        amount = ("-" if centimes < 0 else "+") + amount  # inside the isolate below
    if lang in RTL:
        # Isolated left-to-right (U+2066..U+2069): in a right-to-left line the bidi
        # algorithm otherwise shows "4 500" as "500 4" in Chromium.
        amount = f"\u2066{amount}\u2069"
    return f"{amount}\u00a0{text(lang, 'currency')}"


def og_amount(centimes: int) -> str:
    """Open Graph's product:price:amount: a plain decimal with a dot."""
    whole, cents = divmod(centimes, 100)
    return f"{whole}.{cents:02d}"
