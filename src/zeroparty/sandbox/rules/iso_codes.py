"""ISO code tables Braze validates against: countries (ISO 3166-1) and currencies (ISO 4217).

`country` "makes a best effort to map countries received in different formats ('Australia' may map
to 'AU')"; a value that still does not match is set to NULL
(https://www.braze.com/docs/api/objects_filters/user_attributes_object). Purchases carry an "ISO 4217
Alphabetic Currency Code" (https://www.braze.com/docs/api/objects_filters/purchase_object).
"""

from __future__ import annotations

from zeroparty.domain.experience.iso_codes import COUNTRY_NAMES, country_code

# Countries: the same ISO 3166-1 table and best-effort spellings the product reads answers with.
COUNTRY_CODES = frozenset(COUNTRY_NAMES)

# ISO 4217 active alphabetic codes.
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
    KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO
    NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND
    VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 - a table reads better as text
)


__all__ = ["COUNTRY_CODES", "CURRENCIES", "country_code"]
