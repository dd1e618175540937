"""Members' public handles: the name the Papers API shows as a submitter instead of an email.

Revision ID: 0004_handles
Revises: 0003_instances
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_handles"
down_revision = "0003_instances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("handle", sa.String(32)))
    op.create_index("ux_users_handle", "users", ["handle"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_users_handle", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("handle")
