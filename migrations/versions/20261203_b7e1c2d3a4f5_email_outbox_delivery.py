"""email outbox delivery: kind, stable Message-ID and claim time on outbox rows; email
events a session type sends no email for

Revision ID: b7e1c2d3a4f5
Revises: ff5924197784
Create Date: 2026-12-03 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2d3a4f5'
down_revision = 'ff5924197784'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('session_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_events_off', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('session_type', schema=None) as batch_op:
        batch_op.drop_column('email_events_off')
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('message_id')
        batch_op.drop_column('kind')
