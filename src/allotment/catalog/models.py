from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from allotment.db.base import Base, UTCDateTime


class Feature(Base):
    __tablename__ = "features"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(100))
    default_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    default_value: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(50))
    reset_period: Mapped[str | None] = mapped_column(String(32))
    action_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("features.id"), index=True)
    requires_child: Mapped[bool] = mapped_column(Boolean, default=False)
    # What one child is called in messages ("format" for transcript export formats).
    child_noun: Mapped[str | None] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Package(Base):
    __tablename__ = "packages"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PlanEntitlement(Base):
    __tablename__ = "plan_entitlements"
    __table_args__ = (UniqueConstraint("package_id", "feature_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    feature_id: Mapped[str] = mapped_column(
        ForeignKey("features.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    value: Mapped[int] = mapped_column(BigInteger, default=-1)
    version: Mapped[int] = mapped_column(Integer, default=1)
