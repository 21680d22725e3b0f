"""Departments and the category tree: reference data supervisors maintain."""

import enum

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.extensions import db
from hotline.models.base import Timestamped, enum_column


class Department(Timestamped, db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    working_hours: Mapped[str | None] = mapped_column(String(100))  # e.g. "08:30-17:30"
    # Its leads (users with department_lead) are told when a case runs late; by SMS too if set.
    sms_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    categories = relationship("Category", secondary="department_categories")


department_categories = Table(
    "department_categories",
    db.metadata,
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class CategoryGroup(enum.StrEnum):
    GOODS = "goods"
    SERVICES = "services"
    PROBLEM = "problem"  # problem types (quality, price, ...) share the table


class Category(db.Model):
    """Two levels: a group (goods / services / problem) then the class.

    `code` holds an external code such as GB/T 42499-2023's so classes can be mapped.
    """

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[CategoryGroup] = enum_column(CategoryGroup)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Category-specific intake questions, data not code:
    # [{"code": "operator_first", "zh": "...", "en": "...", "type": "date|text|yesno", "required": false}]
    questions: Mapped[list | None] = mapped_column(JSON)

    parent = relationship("Category", remote_side=[id])

    def name(self, locale):
        return self.name_en if locale == "en" else self.name_zh
