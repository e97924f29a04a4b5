"""What bulk orders' codes say to people, in Arabic, French and English: the reasons
pieces are refused at the check (the artisan reads them in her language), the stages of
a bulk order and the ways a payment is made. Pushes and pages both say them."""

from __future__ import annotations

REFUSAL_REASONS = {
    "size": {"ar": "المقاس غير مطابق", "fr": "Taille non conforme", "en": "Wrong size"},
    "colour": {"ar": "اللون غير مطابق", "fr": "Couleur non conforme", "en": "Wrong colour"},
    "finish": {
        "ar": "التشطيب غير كافٍ",
        "fr": "Finition insuffisante",
        "en": "Finish not good enough",
    },
    "damage": {"ar": "القطعة متضررة", "fr": "Pièce abîmée", "en": "Damaged piece"},
    "materials": {"ar": "المواد غير مطابقة", "fr": "Matière non conforme", "en": "Wrong materials"},
    "other": {"ar": "سبب آخر", "fr": "Autre raison", "en": "Other reason"},
}

STAGES = {
    "requested": {"ar": "في انتظار الرد", "fr": "Demandée", "en": "Requested"},
    "accepted": {"ar": "مقبولة", "fr": "Acceptée", "en": "Accepted"},
    "in_production": {"ar": "قيد الصنع", "fr": "En fabrication", "en": "In production"},
    "partly_shipped": {"ar": "شُحن جزء منها", "fr": "Expédiée en partie", "en": "Partly shipped"},
    "delivered": {"ar": "تم التسليم", "fr": "Livrée", "en": "Delivered"},
    "declined": {"ar": "مرفوضة", "fr": "Refusée", "en": "Declined"},
    "cancelled": {"ar": "ملغاة", "fr": "Annulée", "en": "Cancelled"},
}

PAYMENT_METHODS = {
    "cash": {"ar": "نقدًا", "fr": "En espèces", "en": "Cash"},
    "transfer": {"ar": "تحويل بنكي", "fr": "Virement", "en": "Bank transfer"},
    "mobile_money": {"ar": "أداء عبر الهاتف", "fr": "Paiement mobile", "en": "Mobile money"},
}


def money(centimes: int, locale: str) -> str:
    """An amount as a person reads it: "960.50 درهم", "960,50 DH", "960.50 MAD"."""
    sign = "-" if centimes < 0 else ""
    whole, rest = divmod(abs(centimes), 100)
    if locale == "fr":
        return f"{sign}{whole},{rest:02d} DH"
    return f"{sign}{whole}.{rest:02d} {'درهم' if locale == 'ar' else 'MAD'}"
