"""failed sign-ins counted and locked per account and client address

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_throttles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'address', name='pk_login_throttles')
    )
    # the account-wide lock goes: anyone could lock anyone out with it (an account locked
    # now is unlocked; the per-address lock starts counting from here)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.drop_table('login_throttles')
