"""Reference data: Moroccan craft categories and the 12 regions (2015 division), in ar/fr/en."""

from __future__ import annotations

CATEGORIES: list[dict[str, str]] = [
    {"code": "carpets", "ar": "الزرابي", "fr": "Tapis", "en": "Carpets and rugs"},
    {
        "code": "pottery",
        "ar": "الفخار والخزف",
        "fr": "Poterie et céramique",
        "en": "Pottery and ceramics",
    },
    {
        "code": "argan",
        "ar": "الأركان ومستحضرات التجميل",
        "fr": "Argan et cosmétiques",
        "en": "Argan and cosmetics",
    },
    {"code": "basketry", "ar": "السلالة", "fr": "Vannerie", "en": "Basketry"},
    {"code": "embroidery", "ar": "الطرز", "fr": "Broderie", "en": "Embroidery"},
    {"code": "weaving", "ar": "النسيج", "fr": "Tissage", "en": "Weaving and textiles"},
    {"code": "leather", "ar": "الجلد", "fr": "Maroquinerie", "en": "Leather"},
    {"code": "woodwork", "ar": "النجارة والخشب", "fr": "Travail du bois", "en": "Woodwork"},
    {"code": "jewellery", "ar": "الحلي", "fr": "Bijouterie", "en": "Jewellery"},
    {
        "code": "metalwork",
        "ar": "النحاس والحدادة",
        "fr": "Dinanderie et ferronnerie",
        "en": "Metalwork",
    },
    {
        "code": "food",
        "ar": "المنتجات المحلية",
        "fr": "Produits du terroir",
        "en": "Local food products",
    },
]

REGIONS: list[dict[str, str]] = [
    {
        "code": "tanger-tetouan-al-hoceima",
        "ar": "طنجة تطوان الحسيمة",
        "fr": "Tanger-Tétouan-Al Hoceïma",
        "en": "Tangier-Tetouan-Al Hoceima",
    },
    {"code": "oriental", "ar": "الشرق", "fr": "L'Oriental", "en": "Oriental"},
    {"code": "fes-meknes", "ar": "فاس مكناس", "fr": "Fès-Meknès", "en": "Fez-Meknes"},
    {
        "code": "rabat-sale-kenitra",
        "ar": "الرباط سلا القنيطرة",
        "fr": "Rabat-Salé-Kénitra",
        "en": "Rabat-Sale-Kenitra",
    },
    {
        "code": "beni-mellal-khenifra",
        "ar": "بني ملال خنيفرة",
        "fr": "Béni Mellal-Khénifra",
        "en": "Beni Mellal-Khenifra",
    },
    {
        "code": "casablanca-settat",
        "ar": "الدار البيضاء سطات",
        "fr": "Casablanca-Settat",
        "en": "Casablanca-Settat",
    },
    {"code": "marrakech-safi", "ar": "مراكش آسفي", "fr": "Marrakech-Safi", "en": "Marrakesh-Safi"},
    {
        "code": "draa-tafilalet",
        "ar": "درعة تافيلالت",
        "fr": "Drâa-Tafilalet",
        "en": "Draa-Tafilalet",
    },
    {"code": "souss-massa", "ar": "سوس ماسة", "fr": "Souss-Massa", "en": "Souss-Massa"},
    {
        "code": "guelmim-oued-noun",
        "ar": "كلميم واد نون",
        "fr": "Guelmim-Oued Noun",
        "en": "Guelmim-Oued Noun",
    },
    {
        "code": "laayoune-sakia-el-hamra",
        "ar": "العيون الساقية الحمراء",
        "fr": "Laâyoune-Sakia El Hamra",
        "en": "Laayoune-Sakia El Hamra",
    },
    {
        "code": "dakhla-oued-ed-dahab",
        "ar": "الداخلة وادي الذهب",
        "fr": "Dakhla-Oued Ed-Dahab",
        "en": "Dakhla-Oued Ed-Dahab",
    },
]

CATEGORY_CODES = frozenset(c["code"] for c in CATEGORIES)
REGION_CODES = frozenset(r["code"] for r in REGIONS)
LOCALES = ("ar", "fr", "en")
