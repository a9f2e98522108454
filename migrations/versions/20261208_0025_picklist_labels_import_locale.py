"""Picklist values carry a label per language; an import remembers its requester's language

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 03:00:00

A picklist value had one label holding both languages ("制造业 Manufacturing"), so a list read in
either language showed the other too. `labels` holds the words per language ({"zh-CN": "制造业",
"en": "Manufacturing"}); `label` stays as the fallback for a language a value has no words in.
The values the first migration seeded get both languages; a value an admin added gets its label
as its zh-CN words.

An import's row reasons are written by the job, long after the request: `locale` keeps the
language of the person who started it, so the reasons are written in theirs.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (list, value, zh-CN, en) of every value 0002 seeded.
SEEDED = [
    ("industry", "manufacturing", "制造业", "Manufacturing"),
    ("industry", "retail", "零售", "Retail"),
    ("industry", "ecommerce", "电子商务", "E-commerce"),
    ("industry", "finance", "金融", "Finance"),
    ("industry", "healthcare", "医疗", "Healthcare"),
    ("industry", "education", "教育", "Education"),
    ("industry", "software", "软件与信息技术", "Software & IT"),
    ("industry", "logistics", "物流", "Logistics"),
    ("industry", "energy", "能源", "Energy"),
    ("industry", "construction", "建筑", "Construction"),
    ("industry", "food", "食品饮料", "Food & beverage"),
    ("industry", "other", "其他", "Other"),
    ("region", "east", "华东", "East China"),
    ("region", "north", "华北", "North China"),
    ("region", "south", "华南", "South China"),
    ("region", "central", "华中", "Central China"),
    ("region", "southwest", "西南", "Southwest"),
    ("region", "northwest", "西北", "Northwest"),
    ("region", "northeast", "东北", "Northeast"),
    ("region", "overseas", "海外", "Overseas"),
]


def upgrade() -> None:
    op.add_column('picklists', sa.Column('labels', JSONB, nullable=False,
                                         server_default=sa.text("'{}'::jsonb")))
    fill = sa.text("UPDATE picklists SET labels = jsonb_build_object("
                   "'zh-CN', CAST(:zh AS text), 'en', CAST(:en AS text)) "
                   "WHERE list = :list AND value = :value")
    for list_name, value, zh, en in SEEDED:
        op.get_bind().execute(fill, {"list": list_name, "value": value, "zh": zh, "en": en})
    op.execute("UPDATE picklists SET labels = jsonb_build_object('zh-CN', label) "
               "WHERE labels = '{}'::jsonb")
    op.add_column('imports', sa.Column('locale', sa.Text(), nullable=False,
                                       server_default='zh-CN'))


def downgrade() -> None:
    op.drop_column('imports', 'locale')
    op.drop_column('picklists', 'labels')
