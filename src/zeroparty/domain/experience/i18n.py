"""Languages: the built-in labels respondents see (buttons, progress, error messages), their
translations, an experience's overrides of them, and choosing a language from what a browser asks.

Pure: the pages hand in the `?lang=` parameter and the `Accept-Language` header, and get back one of
the languages the experience declares. A language is a BCP 47 primary tag, optionally with a region
(`fr`, `fr-CA`, `es-419`); a built-in label missing for `fr-CA` is taken from `fr`, then English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from string import Formatter

DEFAULT_LANGUAGE = "en"
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?")
TAG_RULE = "must be a language tag such as fr or fr-CA (a lowercase language code, optionally - and a region)"

# Every built-in text a respondent may see, in English; `{name}` marks a value filled in.
# The keys are what `labels:` in a definition overrides (docs/experiences.md, "Languages").
ENGLISH: dict[str, str] = {
    "next": "Next",
    "step": "Step {step} of {steps}",
    "error_prefix": "Error:",
    "check_answer": "Please check this answer",
    "check_answers": "Please check these answers",
    "earlier_missing": "An earlier question still needs an answer:",
    "go_back": "go back to it",
    "date_hint": "For example, {example}",
    "date_dmy": "DD/MM/YYYY",
    "date_mdy": "MM/DD/YYYY",
    "other": "Other",
    "right": "Right!",
    "not_quite": "Not quite: {answers}.",
    "score": "You scored {score} out of {max_score}.",
    "products": "Products picked for you",
    "view_product": "View {title}",
    "see_picks": "See your picks",
    "closed": "This experience is closed and no longer takes responses.",
    "not_found": "Not found",
    "no_experience": "There is no experience here.",
    "no_response": "This response does not exist.",
    "no_screen": "There is no screen '{screen}' here.",
    "complete": "This response is complete",
    "screen_closed": "Nothing was changed: once complete, a response's answers are no longer shown or changed here.",
    "outcome_private": "Its outcome is shown only in the browser that completed it, for {window} after.",
    "no_link": "There is no link to follow here.",
    "start_again": "Start again",
    "try_again": "Please try again",
    "busy": "This page could not be loaded or saved just now, and nothing was saved. Please try again in a moment.",
    "bad_link": "This link cannot be used ({problem}). Nothing was saved; please open it again from the site.",
    "unreadable": "The form could not be read: {problem}",
    # Answer problems, as the checks word them (domain/experience/answers.py, standard_fields.py).
    "required": "is required",
    "must_accept": "must be accepted to continue",
    "not_email": "must be an email address (a string)",
    "number": "must be a number such as 12 or 3.5",
    "whole_number": "must be a whole number",
    "at_least": "must be at least {min}",
    "at_most": "must be at most {max}",
    "max_characters": "must be at most {max} characters",
    "max_selected": "at most {max} may be selected",
    "real_date": "is not a real date; use a date such as 1990-05-12",
    "date_format": "must be a date such as 1990-05-12",
    "future_date": "must not be in the future",
    "phone_country": "is not a {country} phone number; give the +country code if it is from elsewhere",
    "phone_digits": "has the wrong number of digits for +{code}",
    "invalid": "is not valid",
}

# The answer problems among the labels: a page shows a check's message in the page's language.
MESSAGES = (
    "required",
    "must_accept",
    "not_email",
    "number",
    "whole_number",
    "max_characters",  # before at_most, whose pattern it would match too
    "at_least",
    "at_most",
    "max_selected",
    "real_date",
    "date_format",
    "future_date",
    "phone_country",
    "phone_digits",
    "invalid",
)

FRENCH: dict[str, str] = {
    "next": "Suivant",
    "step": "Étape {step} sur {steps}",
    "error_prefix": "Erreur :",
    "check_answer": "Veuillez vérifier cette réponse",
    "check_answers": "Veuillez vérifier ces réponses",
    "earlier_missing": "Une question précédente attend encore une réponse :",
    "go_back": "y revenir",
    "date_hint": "Par exemple, {example}",
    "date_dmy": "JJ/MM/AAAA",
    "date_mdy": "MM/JJ/AAAA",
    "other": "Autre",
    "right": "Exact !",
    "not_quite": "Pas tout à fait : {answers}.",
    "score": "Votre score : {score} sur {max_score}.",
    "products": "Produits choisis pour vous",
    "view_product": "Voir {title}",
    "see_picks": "Voir votre sélection",
    "closed": "Cette expérience est fermée et ne prend plus de réponses.",
    "not_found": "Introuvable",
    "no_experience": "Il n'y a pas d'expérience ici.",
    "no_response": "Cette réponse n'existe pas.",
    "no_screen": "Il n'y a pas d'écran « {screen} » ici.",
    "complete": "Cette réponse est terminée",
    "screen_closed": "Rien n'a été modifié : une fois terminée, une réponse n'est plus affichée ni modifiable ici.",
    "outcome_private": "Son résultat ne s'affiche que dans le navigateur qui l'a terminée, pendant {window}.",
    "no_link": "Il n'y a pas de lien à suivre ici.",
    "start_again": "Recommencer",
    "try_again": "Veuillez réessayer",
    "busy": "Cette page n'a pas pu être chargée ou enregistrée, et rien n'a été enregistré. Réessayez dans un instant.",
    "bad_link": "Ce lien ne peut pas être utilisé ({problem}). Rien n'a été enregistré ; rouvrez-le depuis le site.",
    "unreadable": "Le formulaire n'a pas pu être lu : {problem}",
    "required": "est obligatoire",
    "must_accept": "doit être accepté pour continuer",
    "not_email": "doit être une adresse e-mail",
    "number": "doit être un nombre, par exemple 12 ou 3,5",
    "whole_number": "doit être un nombre entier",
    "at_least": "doit valoir au moins {min}",
    "at_most": "doit valoir au plus {max}",
    "max_characters": "doit faire au plus {max} caractères",
    "max_selected": "au plus {max} choix possibles",
    "real_date": "n'est pas une date réelle ; utilisez une date comme 1990-05-12",
    "date_format": "doit être une date comme 1990-05-12",
    "future_date": "ne doit pas être dans le futur",
    "phone_country": "n'est pas un numéro de téléphone {country} ; indiquez l'indicatif +pays s'il vient d'ailleurs",
    "phone_digits": "n'a pas le bon nombre de chiffres pour +{code}",
    "invalid": "n'est pas valide",
}

GERMAN: dict[str, str] = {
    "next": "Weiter",
    "step": "Schritt {step} von {steps}",
    "error_prefix": "Fehler:",
    "check_answer": "Bitte prüfen Sie diese Antwort",
    "check_answers": "Bitte prüfen Sie diese Antworten",
    "earlier_missing": "Eine frühere Frage braucht noch eine Antwort:",
    "go_back": "zurück zur Frage",
    "date_hint": "Zum Beispiel {example}",
    "date_dmy": "TT/MM/JJJJ",
    "date_mdy": "MM/TT/JJJJ",
    "other": "Sonstiges",
    "right": "Richtig!",
    "not_quite": "Nicht ganz: {answers}.",
    "score": "Sie haben {score} von {max_score} Punkten erreicht.",
    "products": "Für Sie ausgewählte Produkte",
    "view_product": "{title} ansehen",
    "see_picks": "Ihre Auswahl ansehen",
    "closed": "Diese Umfrage ist geschlossen und nimmt keine Antworten mehr an.",
    "not_found": "Nicht gefunden",
    "no_experience": "Hier gibt es keine Umfrage.",
    "no_response": "Diese Antwort gibt es nicht.",
    "no_screen": "Hier gibt es keinen Schritt „{screen}“.",
    "complete": "Diese Antwort ist abgeschlossen",
    "screen_closed": "Nichts wurde geändert: Abgeschlossene Antworten werden hier nicht mehr gezeigt oder geändert.",
    "outcome_private": "Das Ergebnis wird nur in dem Browser gezeigt, der sie abgeschlossen hat, noch {window} lang.",
    "no_link": "Hier gibt es keinen Link.",
    "start_again": "Neu beginnen",
    "try_again": "Bitte erneut versuchen",
    "busy": "Die Seite konnte nicht geladen oder gespeichert werden; nichts wurde gespeichert. Bitte gleich neu laden.",
    "bad_link": "Dieser Link ist nicht nutzbar ({problem}). Nichts wurde gespeichert; bitte neu von der Website laden.",
    "unreadable": "Das Formular konnte nicht gelesen werden: {problem}",
    "required": "ist erforderlich",
    "must_accept": "muss zum Fortfahren akzeptiert werden",
    "not_email": "muss eine E-Mail-Adresse sein",
    "number": "muss eine Zahl sein, etwa 12 oder 3,5",
    "whole_number": "muss eine ganze Zahl sein",
    "at_least": "muss mindestens {min} sein",
    "at_most": "darf höchstens {max} sein",
    "max_characters": "darf höchstens {max} Zeichen lang sein",
    "max_selected": "höchstens {max} Auswahlen möglich",
    "real_date": "ist kein gültiges Datum; bitte etwa 1990-05-12 angeben",
    "date_format": "muss ein Datum wie 1990-05-12 sein",
    "future_date": "darf nicht in der Zukunft liegen",
    "phone_country": "ist keine Telefonnummer aus {country}; geben Sie sonst die +Landesvorwahl an",
    "phone_digits": "hat die falsche Anzahl Ziffern für +{code}",
    "invalid": "ist ungültig",
}

SPANISH: dict[str, str] = {
    "next": "Siguiente",
    "step": "Paso {step} de {steps}",
    "error_prefix": "Error:",
    "check_answer": "Revisa esta respuesta",
    "check_answers": "Revisa estas respuestas",
    "earlier_missing": "Una pregunta anterior aún necesita respuesta:",
    "go_back": "volver a ella",
    "date_hint": "Por ejemplo, {example}",
    "date_dmy": "DD/MM/AAAA",
    "date_mdy": "MM/DD/AAAA",
    "other": "Otro",
    "right": "¡Correcto!",
    "not_quite": "No exactamente: {answers}.",
    "score": "Has obtenido {score} de {max_score}.",
    "products": "Productos elegidos para ti",
    "view_product": "Ver {title}",
    "see_picks": "Ver tu selección",
    "closed": "Esta experiencia está cerrada y ya no acepta respuestas.",
    "not_found": "No encontrado",
    "no_experience": "Aquí no hay ninguna experiencia.",
    "no_response": "Esta respuesta no existe.",
    "no_screen": "Aquí no hay ninguna pantalla «{screen}».",
    "complete": "Esta respuesta está completa",
    "screen_closed": "No se cambió nada: una respuesta completa ya no se muestra ni se cambia aquí.",
    "outcome_private": "Su resultado solo se muestra en el navegador que la completó, durante {window}.",
    "no_link": "Aquí no hay ningún enlace que seguir.",
    "start_again": "Empezar de nuevo",
    "try_again": "Inténtalo de nuevo",
    "busy": "No se pudo cargar ni guardar esta página y no se guardó nada. Inténtalo de nuevo en un momento.",
    "bad_link": "Este enlace no se puede usar ({problem}). No se guardó nada; vuelve a abrirlo desde el sitio.",
    "unreadable": "No se pudo leer el formulario: {problem}",
    "required": "es obligatorio",
    "must_accept": "debe aceptarse para continuar",
    "not_email": "debe ser una dirección de correo electrónico",
    "number": "debe ser un número, como 12 o 3,5",
    "whole_number": "debe ser un número entero",
    "at_least": "debe ser al menos {min}",
    "at_most": "debe ser como máximo {max}",
    "max_characters": "debe tener como máximo {max} caracteres",
    "max_selected": "se pueden elegir como máximo {max}",
    "real_date": "no es una fecha real; usa una fecha como 1990-05-12",
    "date_format": "debe ser una fecha como 1990-05-12",
    "future_date": "no puede estar en el futuro",
    "phone_country": "no es un número de teléfono de {country}; indica el prefijo +país si es de otro lugar",
    "phone_digits": "no tiene el número correcto de dígitos para +{code}",
    "invalid": "no es válido",
}

DUTCH: dict[str, str] = {
    "next": "Volgende",
    "step": "Stap {step} van {steps}",
    "error_prefix": "Fout:",
    "check_answer": "Controleer dit antwoord",
    "check_answers": "Controleer deze antwoorden",
    "earlier_missing": "Een eerdere vraag heeft nog een antwoord nodig:",
    "go_back": "ga ernaar terug",
    "date_hint": "Bijvoorbeeld {example}",
    "date_dmy": "DD/MM/JJJJ",
    "date_mdy": "MM/DD/JJJJ",
    "other": "Anders",
    "right": "Goed!",
    "not_quite": "Niet helemaal: {answers}.",
    "score": "Je score is {score} van de {max_score}.",
    "products": "Producten voor jou gekozen",
    "view_product": "Bekijk {title}",
    "see_picks": "Bekijk je selectie",
    "closed": "Deze ervaring is gesloten en neemt geen antwoorden meer aan.",
    "not_found": "Niet gevonden",
    "no_experience": "Hier is geen ervaring.",
    "no_response": "Dit antwoord bestaat niet.",
    "no_screen": "Hier is geen scherm '{screen}'.",
    "complete": "Dit antwoord is voltooid",
    "screen_closed": "Er is niets gewijzigd: een voltooid antwoord wordt hier niet meer getoond of gewijzigd.",
    "outcome_private": "De uitkomst wordt alleen getoond in de browser die het voltooide, nog {window}.",
    "no_link": "Hier is geen link om te volgen.",
    "start_again": "Opnieuw beginnen",
    "try_again": "Probeer het opnieuw",
    "busy": "Deze pagina kon nu niet worden geladen of opgeslagen, en er is niets opgeslagen. Probeer het zo opnieuw.",
    "bad_link": "Deze link is niet bruikbaar ({problem}). Er is niets opgeslagen; open hem opnieuw vanaf de site.",
    "unreadable": "Het formulier kon niet worden gelezen: {problem}",
    "required": "is verplicht",
    "must_accept": "moet worden geaccepteerd om verder te gaan",
    "not_email": "moet een e-mailadres zijn",
    "number": "moet een getal zijn, zoals 12 of 3,5",
    "whole_number": "moet een geheel getal zijn",
    "at_least": "moet minstens {min} zijn",
    "at_most": "mag hoogstens {max} zijn",
    "max_characters": "mag hoogstens {max} tekens lang zijn",
    "max_selected": "hoogstens {max} keuzes mogelijk",
    "real_date": "is geen bestaande datum; gebruik een datum zoals 1990-05-12",
    "date_format": "moet een datum zijn zoals 1990-05-12",
    "future_date": "mag niet in de toekomst liggen",
    "phone_country": "is geen telefoonnummer uit {country}; geef de +landcode als het van elders is",
    "phone_digits": "heeft het verkeerde aantal cijfers voor +{code}",
    "invalid": "is ongeldig",
}

BUILT_IN: dict[str, dict[str, str]] = {"en": ENGLISH, "fr": FRENCH, "de": GERMAN, "es": SPANISH, "nl": DUTCH}
LABEL_KEYS = tuple(ENGLISH)


def primary(tag: str) -> str:
    """The language of a tag without its region: fr-CA → fr."""
    return tag.split("-", 1)[0].lower()


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in Formatter().parse(template) if name}


@dataclass(frozen=True)
class Labels:
    """The built-in labels of one language: the experience's overrides first, then the built-in
    translation (of the tag, then of its primary language), then English."""

    language: str = DEFAULT_LANGUAGE
    overrides: Mapping[str, str] = field(default_factory=dict)

    def template(self, key: str) -> str:
        for table in (self.overrides, BUILT_IN.get(self.language, {}), BUILT_IN.get(primary(self.language), {})):
            if key in table:
                return table[key]
        return ENGLISH[key]

    def __call__(self, key: str, **values: object) -> str:
        return self.template(key).format_map(_Missing(values)) if values else self.template(key)

    def message(self, english: str) -> str:
        """An answer problem worded by the checks (in English) in this language; unchanged when it
        is not one the catalogue knows."""
        if self.language == DEFAULT_LANGUAGE and not self.overrides:
            return english
        for key, pattern in _MESSAGE_PATTERNS:
            found = pattern.fullmatch(english)
            if found:
                return self(key, **found.groupdict()) if found.groupdict() else self(key)
        # One the catalogue lacks (an email address library's own words): said generally, rather
        # than in English on a page in another language.
        general = self("invalid")
        return english if general == ENGLISH["invalid"] else general


class _Missing(dict[str, object]):
    """Formatting with a name not given (an author's override naming an unknown value) keeps it as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)))


_MESSAGE_PATTERNS = tuple((key, _pattern(ENGLISH[key])) for key in MESSAGES)


def labels_for(language: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> Labels:
    return Labels(language, dict((overrides or {}).get(language, {})))


def _match(wanted: str, declared: Collection[str]) -> str | None:
    """The declared language a wanted tag names: the same tag, else one of the same language."""
    by_case = {d.lower(): d for d in declared}
    if wanted.lower() in by_case:
        return by_case[wanted.lower()]
    return next((d for d in declared if primary(d) == primary(wanted)), None)


def accepted(header: str | None) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q-values honoured; q=0 and
    entries that cannot be read are left out; equal weights keep the header's order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, entry in enumerate((header or "")[:2000].split(",")):
        tag, _sep, params = entry.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = -1.0
        tag = tag.strip()
        if 0 < weight <= 1 and re.fullmatch(r"\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", tag):
            ranked.append((-weight, index, tag))
    return [tag for _w, _i, tag in sorted(ranked)]


def choose_language(
    asked: str | None, accept_language: str | None, declared: Collection[str], default: str
) -> tuple[str, bool]:
    """The language to show, among `declared` (which holds `default`): the one `asked` for
    (`?lang=`), else the browser's most wanted, else `default`; and whether the browser's header
    decided it (the answer then varies with it)."""
    if asked is not None:
        found = _match(asked.strip(), declared) if len(asked) <= 35 else None
        if found is not None:
            return found, False
    for tag in accepted(accept_language):
        found = default if tag == "*" else _match(tag, declared)
        if found is not None:
            return found, True
    return default, bool(accept_language) and len(declared) > 1
