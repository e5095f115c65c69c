"""Every rule and every write of the care app, split by concept.

Reads start from `access.scope`; actions call `access.require`. Each function runs in one
transaction with its audit event. Functions that take a survivor take the acting user as `by`
(except `packet_contents`, which only the referrals service calls after its own checks).
Other apps import from here: `from reclaim.care import services`.
"""

from .appointments import (
    add_follow_up,
    complete_task,
    get_appointment,
    get_task,
    list_appointments,
    my_tasks,
    open_safety_follow_ups,
    schedule_appointment,
    update_appointment,
)
from .assessments import (
    NEED_THRESHOLD,
    current_needs,
    list_assessments,
    progress_data,
    record_assessment,
    score_label,
)
from .domains import (
    add_domain,
    ensure_domains,
    get_domain,
    list_domains,
    rename_domain,
    set_domain_retired,
)
from .intake import complete_intake, get_intake, list_intakes, open_intake, save_intake_step
from .notes import NoteList, add_note, list_notes, select_notes_for_export
from .packets import packet_contents
from .plans import (
    add_goal,
    add_step,
    get_goal,
    get_step,
    goal_history,
    list_goals,
    update_goal,
    update_step,
)
from .screenings import decline_screening, get_screening, list_screenings, record_screening

__all__ = [
    "NEED_THRESHOLD",
    "NoteList",
    "add_domain",
    "add_follow_up",
    "add_goal",
    "add_note",
    "add_step",
    "complete_intake",
    "complete_task",
    "current_needs",
    "decline_screening",
    "ensure_domains",
    "get_appointment",
    "get_domain",
    "get_goal",
    "get_intake",
    "get_screening",
    "get_step",
    "get_task",
    "goal_history",
    "list_appointments",
    "list_assessments",
    "list_domains",
    "list_goals",
    "list_intakes",
    "list_notes",
    "list_screenings",
    "my_tasks",
    "open_intake",
    "open_safety_follow_ups",
    "packet_contents",
    "progress_data",
    "record_assessment",
    "record_screening",
    "rename_domain",
    "save_intake_step",
    "schedule_appointment",
    "score_label",
    "select_notes_for_export",
    "set_domain_retired",
    "update_appointment",
    "update_goal",
    "update_step",
]
