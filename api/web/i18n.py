"""The pages' words in Arabic, French and English, and how a page picks its language.

Plain dicts rather than gettext: three languages, a few dozen strings, and no build
step to forget on a regional server. Arabic is the default: most artisans and many
buyers in Morocco read it first.
"""

from __future__ import annotations

from datetime import datetime
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
        "lots": "دفعات الإنتاج",
        "lot_produced": "أُنتجت في {date}",
        "pd_artisan": "الحرفية",
        "pd_photos": "الصور",
        "pd_photo": "الصورة {n} من {total}",
        "pd_left": "بقي في المخزون: {n} قطعة",
        "pd_left_one": "بقيت قطعة واحدة فقط",
        "pd_sold_out": "نفد من المخزون",
        "pd_order": "اطلب الآن",
        "pd_whatsapp": "تواصل عبر واتساب",
        "pd_whatsapp_text": "السلام عليكم، يهمّني هذا المنتج: {title}\n{url}",
        "visiting": "زيارة التعاونية",
        "contact": "التواصل",
        "contact_whatsapp": "واتساب",
        "contact_phone": "الهاتف",
        "contact_email": "البريد الإلكتروني",
        "contact_website": "الموقع",
        "contact_facebook": "فيسبوك",
        "contact_instagram": "إنستغرام",
        "products_of": "منتجات التعاونية",
        "visiting_hours": "أوقات الزيارة",
        "workshops_next": "الورشات القادمة",
        "ws_duration": "المدة:",
        "ws_languages": "اللغات:",
        "ws_per_person": "للشخص",
        "ws_places_left": "الأماكن المتبقية: {n}",
        "ws_full": "مكتملة",
        "ws_book": "احجز",
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
        "inventory": "مخزون المواد الأولية",
        "inv_low": "مواد قاربت على النفاد",
        "inv_low_badge": "منخفض",
        "inv_low_line": "بقي {qty} في المخزن، وحدّ التنبيه {threshold}",
        "inv_balances": "أين توجد المواد",
        "inv_store": "المخزن",
        "inv_nothing": "لم تُسجَّل أي مادة بعد.",
        "inv_negative_badge": "أقل من الصفر",
        "inv_negative_note": "رصيد أقل من الصفر: سُجّل استعمال قبل أن تصل مزامنة النقل "
        "الذي جاء به. سيُصحَّح وحده عندما يتزامن الهاتف الآخر.",
        "inv_movements": "آخر الحركات",
        "inv_no_movements": "لا توجد حركات.",
        "inv_older": "حركات أقدم",
        "inv_latest": "أحدث الحركات",
        "inv_csv": "تحميل الدفتر كاملًا (CSV)",
        "inv_show": "عرض",
        "inv_recorded_by": "سُجّلت من طرف {name}",
        "inv_colon": ": ",
        "inv_cost": "التكلفة {price}",
        "inv_cancelled": "ملغاة",
        "not_your_cooperative": "هذه التعاونية ليست من التعاونيات التي تنسّقينها.",
        "mv_receive_store": "دخل إلى المخزن {qty}",
        "mv_receive_artisan": "استلمت {to} {qty}",
        "mv_supplier": "من {supplier}",
        "mv_transfer_out": "استلمت {to} {qty} من المخزن",
        "mv_transfer_back": "أعادت {from} {qty} إلى المخزن",
        "mv_transfer_between": "سلّمت {from} {qty} إلى {to}",
        "mv_use_store": "استُعمل {qty} من المخزن",
        "mv_use_artisan": "استعملت {from} {qty}",
        "mv_waste_store": "ضاع {qty} في المخزن (هدر)",
        "mv_waste_artisan": "سجّلت {from} {qty} هدرًا",
        "mv_count_store": "جرد في المخزن: وُجد {counted} والدفتر يقول {expected}",
        "mv_count_artisan": "جرد عند {at}: وُجد {counted} والدفتر يقول {expected}",
        "mv_batch_store": "دفعة {lot} في المخزن: استُعمل {inputs}، وأُنتج {outputs}",
        "mv_batch_artisan": "دفعة {lot} عند {at}: استُعمل {inputs}، وأُنتج {outputs}",
        "mv_reversal": "تصحيح: أُلغيت حركة سابقة",
        "unit_g": "غ",
        "unit_kg": "كغ",
        "unit_ml": "مل",
        "unit_l": "ل",
        "unit_cm": "سم",
        "unit_m": "م",
        "unit_piece": "قطعة",
        "unit_piece_pl": "قطعة",  # after digits, as on a label: "12 قطعة"
        "unit_skein": "كُبّة",
        "unit_skein_pl": "كُبّة",
        "unit_bundle": "حزمة",
        "unit_bundle_pl": "حزمة",
        "training": "التكوين",
        "tr_none": "لا توجد دورات تكوينية لتعاونياتك بعد.",
        "tr_status_draft": "مسودة",
        "tr_status_published": "منشورة",
        "tr_status_withdrawn": "مسحوبة",
        "tr_meta": "{lessons} دروس · {hours} ساعات · {issuer}",
        "tr_not_offered": "غير مقترحة على تعاونياتك",
        "tr_started": "حرفيات بدأنها: {n}",
        "tr_nobody": "لم تبدأ أي حرفية من تعاونياتك هذه الدورة بعد.",
        "tr_lessons": "الدروس",
        "tr_quizzes": "التمارين",
        "tr_assessment": "الاختبار النهائي",
        "tr_passed": "ناجحة",
        "tr_failed": "لم تنجح بعد",
        "tr_not_taken": "لم تجتزه بعد",
        "tr_practical": "التطبيق العملي",
        "tr_attested": "مُصادَق عليه",
        "tr_not_needed": "غير مطلوب",
        "tr_attest": "المصادقة على التطبيق العملي",
        "tr_note": "ملاحظة (اختيارية)",
        "tr_certificate": "الشهادة",
        "tr_no_certificate": "ليس بعد",
        "tr_revoked": "ملغاة",
        "tr_done_attest": "تمت المصادقة على التطبيق العملي.",
        "tr_done_certificate": "تمت المصادقة على التطبيق العملي، وصدرت شهادتها.",
        "tr_attest_refused": "تعذّرت المصادقة على هذا التطبيق العملي.",
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
        "lots": "Lots de production",
        "lot_produced": "produit le {date}",
        "pd_artisan": "Artisane",
        "pd_photos": "Photos",
        "pd_photo": "Photo {n} sur {total}",
        "pd_left": "Plus que {n} pièces en stock",
        "pd_left_one": "Plus qu'une pièce en stock",
        "pd_sold_out": "Épuisé",
        "pd_order": "Commander",
        "pd_whatsapp": "Contacter sur WhatsApp",
        "pd_whatsapp_text": "Bonjour, ce produit m'intéresse : {title}\n{url}",
        "visiting": "Visiter la coopérative",
        "contact": "Contact",
        "contact_whatsapp": "WhatsApp",
        "contact_phone": "Téléphone",
        "contact_email": "E-mail",
        "contact_website": "Site web",
        "contact_facebook": "Facebook",
        "contact_instagram": "Instagram",
        "products_of": "Produits de la coopérative",
        "visiting_hours": "Heures de visite",
        "workshops_next": "Prochains ateliers",
        "ws_duration": "Durée :",
        "ws_languages": "Langues :",
        "ws_per_person": "par personne",
        "ws_places_left": "Places restantes : {n}",
        "ws_full": "Complet",
        "ws_book": "Réserver",
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
        "inventory": "Stock des matières premières",
        "inv_low": "Matières bientôt épuisées",
        "inv_low_badge": "stock bas",
        "inv_low_line": "Il reste {qty} au magasin, seuil d'alerte {threshold}",
        "inv_balances": "Qui détient quoi",
        "inv_store": "Le magasin",
        "inv_nothing": "Aucune matière enregistrée pour l'instant.",
        "inv_negative_badge": "sous zéro",
        "inv_negative_note": "Solde sous zéro : une utilisation a été enregistrée avant que "
        "le transfert qui l'a apportée soit synchronisé. Cela se corrige tout seul quand "
        "l'autre téléphone se synchronise.",
        "inv_movements": "Derniers mouvements",
        "inv_no_movements": "Aucun mouvement.",
        "inv_older": "Mouvements plus anciens",
        "inv_latest": "Derniers mouvements",
        "inv_csv": "Télécharger tout le registre (CSV)",
        "inv_show": "Afficher",
        "inv_recorded_by": "enregistré par {name}",
        "inv_colon": "\u00a0: ",
        "inv_cost": "coût {price}",
        "inv_cancelled": "annulé",
        "not_your_cooperative": "Vous ne coordonnez pas cette coopérative.",
        "mv_receive_store": "Le magasin a reçu {qty}",
        "mv_receive_artisan": "{to} a reçu {qty}",
        "mv_supplier": "de « {supplier} »",
        "mv_transfer_out": "{to} a reçu {qty} du magasin",
        "mv_transfer_back": "{from} a rendu {qty} au magasin",
        "mv_transfer_between": "{from} a passé {qty} à {to}",
        "mv_use_store": "{qty} utilisés au magasin",
        "mv_use_artisan": "{from} a utilisé {qty}",
        "mv_waste_store": "{qty} perdus au magasin (déchet)",
        "mv_waste_artisan": "{from} a déclaré {qty} de perte",
        "mv_count_store": "Inventaire au magasin : {counted} comptés, le registre indiquait "
        "{expected}",
        "mv_count_artisan": "Inventaire chez {at} : {counted} comptés, le registre indiquait "
        "{expected}",
        "mv_batch_store": "Lot {lot} au magasin : {inputs} utilisés ; {outputs} produits",
        "mv_batch_artisan": "Lot {lot} chez {at} : {inputs} utilisés ; {outputs} produits",
        "mv_reversal": "Correction : un mouvement précédent a été annulé",
        "unit_g": "g",
        "unit_kg": "kg",
        "unit_ml": "ml",
        "unit_l": "l",
        "unit_cm": "cm",
        "unit_m": "m",
        "unit_piece": "pièce",
        "unit_piece_pl": "pièces",
        "unit_skein": "écheveau",
        "unit_skein_pl": "écheveaux",
        "unit_bundle": "botte",
        "unit_bundle_pl": "bottes",
        "training": "Formations",
        "tr_none": "Aucune formation pour vos coopératives pour l'instant.",
        "tr_status_draft": "brouillon",
        "tr_status_published": "publiée",
        "tr_status_withdrawn": "retirée",
        "tr_meta": "{lessons} leçons · {hours} h · {issuer}",
        "tr_not_offered": "Pas proposée à vos coopératives",
        "tr_started": "commencée par {n}",
        "tr_nobody": "Aucune artisane de vos coopératives n'a encore commencé cette formation.",
        "tr_lessons": "Leçons",
        "tr_quizzes": "Exercices",
        "tr_assessment": "Évaluation finale",
        "tr_passed": "réussie",
        "tr_failed": "pas encore réussie",
        "tr_not_taken": "pas encore passée",
        "tr_practical": "Pratique",
        "tr_attested": "attestée",
        "tr_not_needed": "non demandée",
        "tr_attest": "Attester la pratique",
        "tr_note": "Note (facultative)",
        "tr_certificate": "Certificat",
        "tr_no_certificate": "pas encore",
        "tr_revoked": "révoqué",
        "tr_done_attest": "Pratique attestée.",
        "tr_done_certificate": "Pratique attestée : son certificat est délivré.",
        "tr_attest_refused": "Cette pratique n'a pas pu être attestée.",
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
        "lots": "Production lots",
        "lot_produced": "produced on {date}",
        "pd_artisan": "Artisan",
        "pd_photos": "Photos",
        "pd_photo": "Photo {n} of {total}",
        "pd_left": "{n} pieces left",
        "pd_left_one": "Only 1 piece left",
        "pd_sold_out": "Sold out",
        "pd_order": "Order",
        "pd_whatsapp": "Contact on WhatsApp",
        "pd_whatsapp_text": "Hello, I am interested in this product: {title}\n{url}",
        "visiting": "Visiting the cooperative",
        "contact": "Contact",
        "contact_whatsapp": "WhatsApp",
        "contact_phone": "Phone",
        "contact_email": "Email",
        "contact_website": "Website",
        "contact_facebook": "Facebook",
        "contact_instagram": "Instagram",
        "products_of": "Products of the cooperative",
        "visiting_hours": "Visiting hours",
        "workshops_next": "Upcoming workshops",
        "ws_duration": "Duration:",
        "ws_languages": "Languages:",
        "ws_per_person": "per person",
        "ws_places_left": "Places left: {n}",
        "ws_full": "Full",
        "ws_book": "Book",
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
        "inventory": "Raw materials stock",
        "inv_low": "Running low",
        "inv_low_badge": "low",
        "inv_low_line": "{qty} left in the store, alert below {threshold}",
        "inv_balances": "Who holds what",
        "inv_store": "The store",
        "inv_nothing": "No materials recorded yet.",
        "inv_negative_badge": "below zero",
        "inv_negative_note": "Below zero: a use was recorded before the transfer that brought "
        "the material synced. It corrects itself when the other phone syncs.",
        "inv_movements": "Latest movements",
        "inv_no_movements": "No movements.",
        "inv_older": "Older movements",
        "inv_latest": "Latest movements",
        "inv_csv": "Download the whole ledger (CSV)",
        "inv_show": "Show",
        "inv_recorded_by": "recorded by {name}",
        "inv_colon": ": ",
        "inv_cost": "cost {price}",
        "inv_cancelled": "cancelled",
        "not_your_cooperative": "You do not coordinate this cooperative.",
        "mv_receive_store": "The store received {qty}",
        "mv_receive_artisan": "{to} received {qty}",
        "mv_supplier": "from {supplier}",
        "mv_transfer_out": "{to} received {qty} from the store",
        "mv_transfer_back": "{from} returned {qty} to the store",
        "mv_transfer_between": "{from} passed {qty} to {to}",
        "mv_use_store": "{qty} used at the store",
        "mv_use_artisan": "{from} used {qty}",
        "mv_waste_store": "{qty} lost at the store (waste)",
        "mv_waste_artisan": "{from} recorded {qty} as waste",
        "mv_count_store": "Count at the store: {counted} found, the ledger said {expected}",
        "mv_count_artisan": "Count at {at}'s: {counted} found, the ledger said {expected}",
        "mv_batch_store": "Batch {lot} at the store: used {inputs}; made {outputs}",
        "mv_batch_artisan": "Batch {lot} at {at}'s: used {inputs}; made {outputs}",
        "mv_reversal": "Correction: an earlier movement was cancelled",
        "unit_g": "g",
        "unit_kg": "kg",
        "unit_ml": "ml",
        "unit_l": "l",
        "unit_cm": "cm",
        "unit_m": "m",
        "unit_piece": "piece",
        "unit_piece_pl": "pieces",
        "unit_skein": "skein",
        "unit_skein_pl": "skeins",
        "unit_bundle": "bundle",
        "unit_bundle_pl": "bundles",
        "training": "Training",
        "tr_none": "No courses for your cooperatives yet.",
        "tr_status_draft": "draft",
        "tr_status_published": "published",
        "tr_status_withdrawn": "withdrawn",
        "tr_meta": "{lessons} lessons · {hours} h · {issuer}",
        "tr_not_offered": "Not offered to your cooperatives",
        "tr_started": "started by {n}",
        "tr_nobody": "No artisan of your cooperatives has started this course yet.",
        "tr_lessons": "Lessons",
        "tr_quizzes": "Quizzes",
        "tr_assessment": "Final assessment",
        "tr_passed": "passed",
        "tr_failed": "not passed yet",
        "tr_not_taken": "not taken yet",
        "tr_practical": "Practical",
        "tr_attested": "attested",
        "tr_not_needed": "not required",
        "tr_attest": "Attest the practical",
        "tr_note": "Note (optional)",
        "tr_certificate": "Certificate",
        "tr_no_certificate": "not yet",
        "tr_revoked": "revoked",
        "tr_done_attest": "Practical attested.",
        "tr_done_certificate": "Practical attested: her certificate is issued.",
        "tr_attest_refused": "This practical could not be attested.",
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


def add(strings: dict[str, dict[str, str]]) -> None:
    """Words a page module keeps beside its code (e.g. api/web/buyer_text.py), one dict
    per language, made part of these; a key already here with other words is an error."""
    for lang in LANGS:
        clash = {k for k, v in strings[lang].items() if STRINGS[lang].get(k, v) != v}
        if clash:
            raise ValueError(f"words defined twice for {lang}: {sorted(clash)}")
        STRINGS[lang].update(strings[lang])


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


# Month names as Morocco writes them (the Arabic ones are Morocco's: ماي, يوليوز, غشت...).
MONTHS = {
    "ar": ("يناير فبراير مارس أبريل ماي يونيو يوليوز غشت شتنبر أكتوبر نونبر دجنبر").split(),
    "fr": (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}


def date(value: str | None, lang: str) -> str:
    """The day of an ISO 8601 timestamp, written out: "12 octobre 2026"; "" if none."""
    try:
        day = datetime.fromisoformat(value or "").date()
    except ValueError:
        return ""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def og_amount(centimes: int) -> str:
    """Open Graph's product:price:amount: a plain decimal with a dot."""
    whole, cents = divmod(centimes, 100)
    return f"{whole}.{cents:02d}"
