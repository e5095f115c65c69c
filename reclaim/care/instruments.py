"""The published wording of the screening instruments, in English and Spanish.

Validated instruments are asked exactly as published, so their items are kept here per
language rather than in the gettext catalogue (a translator must not reword them). Each
instrument has a version; answers recorded against another version are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import scoring

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    version: str
    max_item: int
    stem: dict[str, str]
    options: dict[str, tuple[str, ...]]
    items: dict[str, tuple[str, ...]]
    attribution: str

    @property
    def item_count(self) -> int:
        return len(self.items["en"])


_PHQ_ATTRIBUTION = (
    "PHQ-9 and GAD-7: developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke "
    "and colleagues, with an educational grant from Pfizer Inc. No permission required to "
    "reproduce, translate, display or distribute."
)
_FREQUENCY: dict[str, tuple[str, ...]] = {
    "en": ("Not at all", "Several days", "More than half the days", "Nearly every day"),
    "es": ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días"),
}

PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    version="phq9-2001",
    max_item=scoring.PHQ9_MAX_ITEM,
    stem={
        "en": "Over the last 2 weeks, how often have you been bothered by any of the "
        "following problems?",
        "es": "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a "
        "los siguientes problemas?",
    },
    options=_FREQUENCY,
    items={
        "en": (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or "
            "your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the "
            "opposite — being so fidgety or restless that you have been moving around a lot "
            "more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        "es": (
            "Poco interés o placer en hacer cosas",
            "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
            "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
            "Se ha sentido cansado(a) o con poca energía",
            "Sin apetito o ha comido en exceso",
            "Se ha sentido mal con usted mismo(a) — o que es un fracaso o que ha quedado mal "
            "con usted mismo(a) o con su familia",
            "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer "
            "el periódico o ver la televisión",
            "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o "
            "lo contrario — muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más "
            "de lo normal",
            "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
        ),
    },
    attribution=_PHQ_ATTRIBUTION,
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    version="gad7-2006",
    max_item=scoring.GAD7_MAX_ITEM,
    stem={
        "en": "Over the last 2 weeks, how often have you been bothered by the following problems?",
        "es": "Durante las últimas 2 semanas, ¿con qué frecuencia le han molestado los "
        "siguientes problemas?",
    },
    options=_FREQUENCY,
    items={
        "en": (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ),
        "es": (
            "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
            "No ha sido capaz de parar o controlar su preocupación",
            "Se ha preocupado demasiado por motivos diferentes",
            "Ha tenido dificultad para relajarse",
            "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
            "Se ha molestado o irritado fácilmente",
            "Ha tenido miedo de que algo terrible fuera a pasar",
        ),
    },
    attribution=_PHQ_ATTRIBUTION,
)

# Spanish PCL-5: items 7-20 follow the Sanz, García-Vera et al. (2016) adaptation word for
# word; the stem, the options and items 1-6 were written in the same style and must be checked
# against the published form before clinical use (see docs/care.md).
PCL5 = Instrument(
    code="pcl5",
    name="PCL-5",
    version="pcl5-2013",
    max_item=scoring.PCL5_MAX_ITEM,
    stem={
        "en": "In the past month, how much were you bothered by:",
        "es": "En el último mes, ¿cuánto le ha afectado:",
    },
    options={
        "en": ("Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"),
        "es": ("Nada", "Un poco", "Moderadamente", "Bastante", "Extremadamente"),
    },
    items={
        "en": (
            "Repeated, disturbing, and unwanted memories of the stressful experience?",
            "Repeated, disturbing dreams of the stressful experience?",
            "Suddenly feeling or acting as if the stressful experience were actually "
            "happening again (as if you were actually back there reliving it)?",
            "Feeling very upset when something reminded you of the stressful experience?",
            "Having strong physical reactions when something reminded you of the stressful "
            "experience (for example, heart pounding, trouble breathing, sweating)?",
            "Avoiding memories, thoughts, or feelings related to the stressful experience?",
            "Avoiding external reminders of the stressful experience (for example, people, "
            "places, conversations, activities, objects, or situations)?",
            "Trouble remembering important parts of the stressful experience?",
            "Having strong negative beliefs about yourself, other people, or the world (for "
            "example, having thoughts such as: I am bad, there is something seriously wrong "
            "with me, no one can be trusted, the world is completely dangerous)?",
            "Blaming yourself or someone else for the stressful experience or what happened "
            "after it?",
            "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
            "Loss of interest in activities that you used to enjoy?",
            "Feeling distant or cut off from other people?",
            "Trouble experiencing positive feelings (for example, being unable to feel "
            "happiness or have loving feelings for people close to you)?",
            "Irritable behavior, angry outbursts, or acting aggressively?",
            "Taking too many risks or doing things that could cause you harm?",
            'Being "superalert" or watchful or on guard?',
            "Feeling jumpy or easily startled?",
            "Having difficulty concentrating?",
            "Trouble falling or staying asleep?",
        ),
        "es": (
            "¿Recuerdos repetidos, perturbadores y no deseados de la experiencia estresante?",
            "¿Sueños repetidos y perturbadores sobre la experiencia estresante?",
            "¿Sentir o actuar de repente como si la experiencia estresante estuviera "
            "ocurriendo otra vez (como si estuviera allí reviviéndola)?",
            "¿Sentirse muy alterado cuando algo le recordaba la experiencia estresante?",
            "¿Tener fuertes reacciones físicas cuando algo le recordaba la experiencia "
            "estresante (por ejemplo, palpitaciones, dificultad para respirar, sudoración)?",
            "¿Evitar recuerdos, pensamientos o sentimientos relacionados con la experiencia "
            "estresante?",
            "¿Evitar recordatorios externos de la experiencia estresante (por ejemplo, "
            "personas, lugares, conversaciones, actividades, objetos o situaciones que le "
            "recordasen la experiencia estresante)?",
            "¿Tener problemas para recordar partes importantes de la experiencia estresante?",
            "¿Tener firmes creencias negativas sobre usted mismo, los demás o el mundo (por "
            "ejemplo, tener pensamientos como: “estoy mal”, “algo muy grave me pasa”, “no se "
            "puede confiar en nadie”, “el mundo es muy peligroso”)?",
            "¿Culparse o culpar a alguien por la experiencia estresante o por lo que sucedió "
            "después de ella?",
            "¿Tener fuertes sentimientos negativos como miedo, horror, ira, culpa o vergüenza?",
            "¿Perder el interés en las actividades con las que solía disfrutar?",
            "¿Sentirse distante o alejado de los demás?",
            "¿Tener problemas para experimentar sentimientos positivos (por ejemplo, ser "
            "incapaz de sentir felicidad o de tener sentimientos de amor hacia las personas "
            "cercanas a usted)?",
            "¿Tener un comportamiento irritable o arrebatos de ira, o actuar agresivamente?",
            "¿Correr demasiados riesgos o hacer cosas que podían causarle daño?",
            "¿Sentirse “superalerta”, mantenerse vigilante o estar en guardia?",
            "¿Asustarse o sobresaltarse con facilidad?",
            "¿Tener dificultades para concentrarse?",
            "¿Tener problemas para quedarse dormido o para permanecer dormido?",
        ),
    },
    attribution=(
        "PTSD Checklist for DSM-5 (PCL-5): F. W. Weathers, B. T. Litz, T. M. Keane, "
        "P. A. Palmieri, B. P. Marx and P. P. Schnurr, National Center for PTSD, 2013 (public "
        "domain). Spanish adaptation: J. Sanz, M. P. García-Vera and colleagues, Universidad "
        "Complutense de Madrid, 2016."
    ),
)

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PCL5)}

BAND_LABELS = {
    "minimal": _("Minimal"),
    "mild": _("Mild"),
    "moderate": _("Moderate"),
    "moderately_severe": _("Moderately severe"),
    "severe": _("Severe"),
    "below_cut_point": _("Below the cut-point (33)"),
    "at_or_above_cut_point": _("At or above the cut-point (33)"),
}


def band_label(band: str) -> str:
    return str(BAND_LABELS.get(band, band))
