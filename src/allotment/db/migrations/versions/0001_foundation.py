"""Foundation: catalog, packages, matrix, tenants, API keys, overrides; seeded catalog.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 00:29:14.300452
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from allotment.catalog import seed_data

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_epoch")),
    )
    op.create_table(
        "features",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("default_enabled", sa.Boolean(), nullable=False),
        sa.Column("default_value", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("reset_period", sa.String(length=32), nullable=True),
        sa.Column("action_name", sa.String(length=100), nullable=True),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("requires_child", sa.Boolean(), nullable=False),
        sa.Column("child_noun", sa.String(length=50), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["features.id"], name=op.f("fk_features_parent_id_features")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
        sa.UniqueConstraint("action_name", name=op.f("uq_features_action_name")),
    )
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_features_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "packages",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
    )
    op.create_table(
        "plan_entitlements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("package_id", sa.String(length=100), nullable=False),
        sa.Column("feature_id", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_plan_entitlements_feature_id_features"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["packages.id"],
            name=op.f("fk_plan_entitlements_package_id_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_entitlements")),
        sa.UniqueConstraint(
            "package_id", "feature_id", name=op.f("uq_plan_entitlements_package_id_feature_id")
        ),
    )
    with op.batch_alter_table("plan_entitlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_entitlements_feature_id"), ["feature_id"], unique=False
        )

    op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("package_id", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("entitlements_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_tenants_package_id_packages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
    )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenants_package_id"), ["package_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tenant_overrides",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("feature_id", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["features.id"],
            name=op.f("fk_tenant_overrides_feature_id_features"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_overrides_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "feature_id", name=op.f("pk_tenant_overrides")),
    )

    op.bulk_insert(
        sa.table("cache_epoch", sa.column("id"), sa.column("epoch")), [{"id": 1, "epoch": 0}]
    )
    _seed_catalog()


def _seed_catalog() -> None:
    """The seed's features, the four packages and their matrix exist from the first start."""
    now = datetime.now(UTC)
    packages = sa.table(
        "packages", sa.column("id"), sa.column("name"), sa.column("tier"), sa.column("sort_order")
    )
    feature_columns: list[sa.ColumnClause[Any]] = [
        sa.column(name) for name in seed_data.FEATURES[0]
    ] + [sa.column("created_at")]
    features = sa.table("features", *feature_columns)
    cells = sa.table(
        "plan_entitlements",
        *(
            sa.column(name)
            for name in ("id", "package_id", "feature_id", "enabled", "value", "version")
        ),
    )
    op.bulk_insert(packages, seed_data.PACKAGES)
    rows = [{**f, "created_at": now} for f in seed_data.FEATURES]
    op.bulk_insert(features, sorted(rows, key=lambda f: f["parent_id"] is not None))
    op.bulk_insert(cells, seed_data.PLAN_CELLS)


def downgrade() -> None:
    op.drop_table("tenant_overrides")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_tenant_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenants_package_id"))

    op.drop_table("tenants")
    with op.batch_alter_table("plan_entitlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_entitlements_feature_id"))

    op.drop_table("plan_entitlements")
    op.drop_table("packages")
    with op.batch_alter_table("features", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_features_parent_id"))

    op.drop_table("features")
    op.drop_table("cache_epoch")
