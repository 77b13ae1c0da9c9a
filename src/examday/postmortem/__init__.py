"""The post-mortem of one exam, from every record it left (the runbook's Post-Mortem and Lessons
Learned Template): `build_postmortem`, then people complete lessons.toml, then `complete_postmortem`."""

from examday.postmortem.build import PostmortemError, build_postmortem, complete_postmortem
from examday.postmortem.history import ExamHistory, NoRecordsOfExam, exam_history
from examday.postmortem.lessons import LessonsIncomplete

__all__ = ["ExamHistory", "LessonsIncomplete", "NoRecordsOfExam", "PostmortemError", "build_postmortem",
           "complete_postmortem", "exam_history"]
