"""ISO code tables for Braze's standard profile fields: countries (ISO 3166-1), languages (ISO 639-1)
and country calling codes (ITU-T E.164).

Braze wants `country` as an ISO-3166-1 alpha-2 code and `language` as an ISO-639-1 code
(https://www.braze.com/docs/api/objects_filters/user_attributes_object,
https://braze.com/docs/user_guide/data/activation/attributes/standard_attributes/). Pure data and lookups.
"""

from __future__ import annotations

import re
import unicodedata

# alpha-2, alpha-3, English short name (ISO 3166-1).
_COUNTRIES = """
AD AND Andorra|AE ARE United Arab Emirates|AF AFG Afghanistan|AG ATG Antigua and Barbuda|AI AIA Anguilla
AL ALB Albania|AM ARM Armenia|AO AGO Angola|AQ ATA Antarctica|AR ARG Argentina|AS ASM American Samoa
AT AUT Austria|AU AUS Australia|AW ABW Aruba|AX ALA Aland Islands|AZ AZE Azerbaijan
BA BIH Bosnia and Herzegovina|BB BRB Barbados|BD BGD Bangladesh|BE BEL Belgium|BF BFA Burkina Faso
BG BGR Bulgaria|BH BHR Bahrain|BI BDI Burundi|BJ BEN Benin|BL BLM Saint Barthelemy|BM BMU Bermuda
BN BRN Brunei Darussalam|BO BOL Bolivia|BQ BES Bonaire, Sint Eustatius and Saba|BR BRA Brazil|BS BHS Bahamas
BT BTN Bhutan|BV BVT Bouvet Island|BW BWA Botswana|BY BLR Belarus|BZ BLZ Belize|CA CAN Canada
CC CCK Cocos (Keeling) Islands|CD COD Congo, Democratic Republic of the|CF CAF Central African Republic
CG COG Congo|CH CHE Switzerland|CI CIV Cote d'Ivoire|CK COK Cook Islands|CL CHL Chile|CM CMR Cameroon
CN CHN China|CO COL Colombia|CR CRI Costa Rica|CU CUB Cuba|CV CPV Cabo Verde|CW CUW Curacao
CX CXR Christmas Island|CY CYP Cyprus|CZ CZE Czechia|DE DEU Germany|DJ DJI Djibouti|DK DNK Denmark
DM DMA Dominica|DO DOM Dominican Republic|DZ DZA Algeria|EC ECU Ecuador|EE EST Estonia|EG EGY Egypt
EH ESH Western Sahara|ER ERI Eritrea|ES ESP Spain|ET ETH Ethiopia|FI FIN Finland|FJ FJI Fiji
FK FLK Falkland Islands (Malvinas)|FM FSM Micronesia|FO FRO Faroe Islands|FR FRA France|GA GAB Gabon
GB GBR United Kingdom|GD GRD Grenada|GE GEO Georgia|GF GUF French Guiana|GG GGY Guernsey|GH GHA Ghana
GI GIB Gibraltar|GL GRL Greenland|GM GMB Gambia|GN GIN Guinea|GP GLP Guadeloupe|GQ GNQ Equatorial Guinea
GR GRC Greece|GS SGS South Georgia and the South Sandwich Islands|GT GTM Guatemala|GU GUM Guam
GW GNB Guinea-Bissau|GY GUY Guyana|HK HKG Hong Kong|HM HMD Heard Island and McDonald Islands|HN HND Honduras
HR HRV Croatia|HT HTI Haiti|HU HUN Hungary|ID IDN Indonesia|IE IRL Ireland|IL ISR Israel|IM IMN Isle of Man
IN IND India|IO IOT British Indian Ocean Territory|IQ IRQ Iraq|IR IRN Iran|IS ISL Iceland|IT ITA Italy
JE JEY Jersey|JM JAM Jamaica|JO JOR Jordan|JP JPN Japan|KE KEN Kenya|KG KGZ Kyrgyzstan|KH KHM Cambodia
KI KIR Kiribati|KM COM Comoros|KN KNA Saint Kitts and Nevis|KP PRK North Korea|KR KOR South Korea
KW KWT Kuwait|KY CYM Cayman Islands|KZ KAZ Kazakhstan|LA LAO Laos|LB LBN Lebanon|LC LCA Saint Lucia
LI LIE Liechtenstein|LK LKA Sri Lanka|LR LBR Liberia|LS LSO Lesotho|LT LTU Lithuania|LU LUX Luxembourg
LV LVA Latvia|LY LBY Libya|MA MAR Morocco|MC MCO Monaco|MD MDA Moldova|ME MNE Montenegro
MF MAF Saint Martin (French part)|MG MDG Madagascar|MH MHL Marshall Islands|MK MKD North Macedonia
ML MLI Mali|MM MMR Myanmar|MN MNG Mongolia|MO MAC Macao|MP MNP Northern Mariana Islands|MQ MTQ Martinique
MR MRT Mauritania|MS MSR Montserrat|MT MLT Malta|MU MUS Mauritius|MV MDV Maldives|MW MWI Malawi
MX MEX Mexico|MY MYS Malaysia|MZ MOZ Mozambique|NA NAM Namibia|NC NCL New Caledonia|NE NER Niger
NF NFK Norfolk Island|NG NGA Nigeria|NI NIC Nicaragua|NL NLD Netherlands|NO NOR Norway|NP NPL Nepal
NR NRU Nauru|NU NIU Niue|NZ NZL New Zealand|OM OMN Oman|PA PAN Panama|PE PER Peru|PF PYF French Polynesia
PG PNG Papua New Guinea|PH PHL Philippines|PK PAK Pakistan|PL POL Poland|PM SPM Saint Pierre and Miquelon
PN PCN Pitcairn|PR PRI Puerto Rico|PS PSE Palestine|PT PRT Portugal|PW PLW Palau|PY PRY Paraguay
QA QAT Qatar|RE REU Reunion|RO ROU Romania|RS SRB Serbia|RU RUS Russia|RW RWA Rwanda|SA SAU Saudi Arabia
SB SLB Solomon Islands|SC SYC Seychelles|SD SDN Sudan|SE SWE Sweden|SG SGP Singapore|SH SHN Saint Helena
SI SVN Slovenia|SJ SJM Svalbard and Jan Mayen|SK SVK Slovakia|SL SLE Sierra Leone|SM SMR San Marino
SN SEN Senegal|SO SOM Somalia|SR SUR Suriname|SS SSD South Sudan|ST STP Sao Tome and Principe
SV SLV El Salvador|SX SXM Sint Maarten (Dutch part)|SY SYR Syria|SZ SWZ Eswatini
TC TCA Turks and Caicos Islands|TD TCD Chad|TF ATF French Southern Territories|TG TGO Togo|TH THA Thailand
TJ TJK Tajikistan|TK TKL Tokelau|TL TLS Timor-Leste|TM TKM Turkmenistan|TN TUN Tunisia|TO TON Tonga
TR TUR Turkey|TT TTO Trinidad and Tobago|TV TUV Tuvalu|TW TWN Taiwan|TZ TZA Tanzania|UA UKR Ukraine
UG UGA Uganda|UM UMI United States Minor Outlying Islands|US USA United States|UY URY Uruguay
UZ UZB Uzbekistan|VA VAT Holy See|VC VCT Saint Vincent and the Grenadines|VE VEN Venezuela
VG VGB Virgin Islands (British)|VI VIR Virgin Islands (U.S.)|VN VNM Viet Nam|VU VUT Vanuatu
WF WLF Wallis and Futuna|WS WSM Samoa|YE YEM Yemen|YT MYT Mayotte|ZA ZAF South Africa|ZM ZMB Zambia
ZW ZWE Zimbabwe
"""

# Other names people type for a country.
_COUNTRY_ALIASES = {
    "united states of america": "US", "usa": "US", "u s a": "US", "u s": "US", "america": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "korea": "KR", "republic of korea": "KR",
    "russian federation": "RU", "vietnam": "VN", "czech republic": "CZ", "holland": "NL",
    "the netherlands": "NL", "ivory coast": "CI", "turkiye": "TR", "swaziland": "SZ", "macedonia": "MK",
    "burma": "MM", "east timor": "TL", "cape verde": "CV", "vatican": "VA", "vatican city": "VA", "uae": "AE",
    "the bahamas": "BS", "the gambia": "GM", "dr congo": "CD", "democratic republic of the congo": "CD",
    "republic of the congo": "CG", "brunei": "BN", "macau": "MO", "deutschland": "DE", "espana": "ES",
    "italia": "IT", "schweiz": "CH", "suisse": "CH", "osterreich": "AT", "nederland": "NL", "belgique": "BE",
}  # fmt: skip

# ISO 639-1 code and English name.
_LANGUAGES = """
aa Afar|ab Abkhazian|ae Avestan|af Afrikaans|ak Akan|am Amharic|an Aragonese|ar Arabic|as Assamese
av Avaric|ay Aymara|az Azerbaijani|ba Bashkir|be Belarusian|bg Bulgarian|bi Bislama|bm Bambara|bn Bengali
bo Tibetan|br Breton|bs Bosnian|ca Catalan|ce Chechen|ch Chamorro|co Corsican|cr Cree|cs Czech
cu Church Slavonic|cv Chuvash|cy Welsh|da Danish|de German|dv Divehi|dz Dzongkha|ee Ewe|el Greek|en English
eo Esperanto|es Spanish|et Estonian|eu Basque|fa Persian|ff Fulah|fi Finnish|fj Fijian|fo Faroese|fr French
fy Western Frisian|ga Irish|gd Scottish Gaelic|gl Galician|gn Guarani|gu Gujarati|gv Manx|ha Hausa|he Hebrew
hi Hindi|ho Hiri Motu|hr Croatian|ht Haitian Creole|hu Hungarian|hy Armenian|hz Herero|ia Interlingua
id Indonesian|ie Interlingue|ig Igbo|ii Sichuan Yi|ik Inupiaq|io Ido|is Icelandic|it Italian|iu Inuktitut
ja Japanese|jv Javanese|ka Georgian|kg Kongo|ki Kikuyu|kj Kuanyama|kk Kazakh|kl Kalaallisut|km Khmer
kn Kannada|ko Korean|kr Kanuri|ks Kashmiri|ku Kurdish|kv Komi|kw Cornish|ky Kyrgyz|la Latin|lb Luxembourgish
lg Ganda|li Limburgish|ln Lingala|lo Lao|lt Lithuanian|lu Luba-Katanga|lv Latvian|mg Malagasy|mh Marshallese
mi Maori|mk Macedonian|ml Malayalam|mn Mongolian|mr Marathi|ms Malay|mt Maltese|my Burmese|na Nauru
nb Norwegian Bokmal|nd North Ndebele|ne Nepali|ng Ndonga|nl Dutch|nn Norwegian Nynorsk|no Norwegian
nr South Ndebele|nv Navajo|ny Chichewa|oc Occitan|oj Ojibwe|om Oromo|or Odia|os Ossetian|pa Punjabi|pi Pali
pl Polish|ps Pashto|pt Portuguese|qu Quechua|rm Romansh|rn Kirundi|ro Romanian|ru Russian|rw Kinyarwanda
sa Sanskrit|sc Sardinian|sd Sindhi|se Northern Sami|sg Sango|si Sinhala|sk Slovak|sl Slovenian|sm Samoan
sn Shona|so Somali|sq Albanian|sr Serbian|ss Swati|st Southern Sotho|su Sundanese|sv Swedish|sw Swahili
ta Tamil|te Telugu|tg Tajik|th Thai|ti Tigrinya|tk Turkmen|tl Tagalog|tn Tswana|to Tongan|tr Turkish
ts Tsonga|tt Tatar|tw Twi|ty Tahitian|ug Uyghur|uk Ukrainian|ur Urdu|uz Uzbek|ve Venda|vi Vietnamese
vo Volapuk|wa Walloon|wo Wolof|xh Xhosa|yi Yiddish|yo Yoruba|za Zhuang|zh Chinese|zu Zulu
"""

# Other names people type for a language.
_LANGUAGE_ALIASES = {
    "farsi": "fa", "mandarin": "zh", "cantonese": "zh", "castilian": "es", "flemish": "nl", "gaelic": "gd",
    "moldovan": "ro", "filipino": "tl", "bokmal": "nb", "nynorsk": "nn", "deutsch": "de", "francais": "fr",
    "espanol": "es", "italiano": "it", "portugues": "pt", "nederlands": "nl", "svenska": "sv", "dansk": "da",
    "norsk": "no", "polski": "pl", "suomi": "fi",
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped: 'Côte d’Ivoire' and 'cote divoire' meet."""
    plain = unicodedata.normalize("NFKD", re.sub(r"['\u2019`]", "", text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def _entries(table: str) -> list[str]:
    return [e.strip() for e in table.replace("\n", "|").split("|") if e.strip()]


def _countries() -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    lookup: dict[str, str] = {}
    for entry in _entries(_COUNTRIES):
        alpha2, alpha3, name = entry.split(" ", 2)
        names[alpha2] = name
        lookup[alpha3.lower()] = alpha2
        lookup[fold(name)] = alpha2
    lookup.update((fold(alias), alpha2) for alias, alpha2 in _COUNTRY_ALIASES.items())
    return names, lookup


def _languages() -> tuple[dict[str, str], dict[str, str]]:
    names: dict[str, str] = {}
    lookup: dict[str, str] = {}
    for entry in _entries(_LANGUAGES):
        code, name = entry.split(" ", 1)
        names[code] = name
        lookup[fold(name)] = code
    lookup.update((fold(alias), code) for alias, code in _LANGUAGE_ALIASES.items())
    return names, lookup


COUNTRY_NAMES, _COUNTRY_LOOKUP = _countries()
LANGUAGE_NAMES, _LANGUAGE_LOOKUP = _languages()


def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code (any case) or an English name."""
    text = value.strip()
    if text.upper() in COUNTRY_NAMES:
        return text.upper()
    return _COUNTRY_LOOKUP.get(fold(text))


def language_code(value: str) -> str | None:
    """The ISO 639-1 code for a code (any case, with or without a region: `en-GB`, `pt_BR`) or an
    English name."""
    text = value.strip()
    primary = re.split(r"[-_]", text, maxsplit=1)[0].lower()
    if primary in LANGUAGE_NAMES and (primary != text.lower() or len(text) == 2):
        return primary
    return _LANGUAGE_LOOKUP.get(fold(text))
