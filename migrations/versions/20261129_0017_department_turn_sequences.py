"""Round-robin turns are numbered by a sequence of the department's: no lock held to commit

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 15:00:00

A round-robin capture used to lock its department's row in lead_rotation until it committed:
captures of one department took their turns one after the other, each waiting for the
previous one's remaining round trips and commit, and with eight captures at once that queue
was most of the latency. Now a round-robin capture draws the next number of its department's
sequence, lead_turn_<department id in hex>; the rep is the number's place in the rotation.
A sequence hands out each number once and holds nothing until commit.

Every department gets its sequence: a trigger creates it with the department (another drops
it with the department), and this migration creates one for each department there is. Least-loaded routing still locks the
department's row (it must see the leads of captures that commit before it).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.execute("""
CREATE FUNCTION crm_department_turn_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I',
                   'lead_turn_' || replace(NEW.id::text, '-', ''));
    RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER departments_turn_sequence AFTER INSERT ON departments "
               "FOR EACH ROW EXECUTE FUNCTION crm_department_turn_sequence()")
    op.execute("""
CREATE FUNCTION crm_department_turn_sequence_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP SEQUENCE IF EXISTS %I',
                   'lead_turn_' || replace(OLD.id::text, '-', ''));
    RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER departments_turn_sequence_gone AFTER DELETE ON departments "
               "FOR EACH ROW EXECUTE FUNCTION crm_department_turn_sequence_gone()")
    op.execute("""
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT 'lead_turn_' || replace(d.id::text, '-', '') FROM departments AS d LOOP
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', name);
    END LOOP;
END $$""")


def downgrade() -> None:
    op.execute("DROP TRIGGER departments_turn_sequence_gone ON departments")
    op.execute("DROP FUNCTION crm_department_turn_sequence_gone()")
    op.execute("DROP TRIGGER departments_turn_sequence ON departments")
    op.execute("DROP FUNCTION crm_department_turn_sequence()")
    op.execute("""
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT 'lead_turn_' || replace(d.id::text, '-', '') FROM departments AS d LOOP
        EXECUTE format('DROP SEQUENCE IF EXISTS %I', name);
    END LOOP;
END $$""")
