"""sharing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connected_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('access_token_enc', sa.Text(), nullable=False),
    sa.Column('refresh_token_enc', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('followers', sa.Integer(), nullable=False),
    sa.Column('followers_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_connected_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connected_accounts')),
    sa.UniqueConstraint('user_id', 'network', name=op.f('uq_connected_accounts_user_id_network'))
    )
    op.create_table('shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('method', sa.Enum('intent', 'api', name='share_method', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('opened', 'scheduled', 'posted', 'failed', name='share_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('connected_account_id', sa.Integer(), nullable=True),
    sa.Column('external_post_id', sa.String(length=200), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reach', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connected_account_id'], ['connected_accounts.id'], name=op.f('fk_shares_connected_account_id_connected_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_shares_item_id_content_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shares_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shares')),
    sa.UniqueConstraint('code', name=op.f('uq_shares_code'))
    )
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shares_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shares_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shares_scheduled_for'), ['scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_shares_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_shares_user_id'), ['user_id'], unique=False)

    op.create_table('clicks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visitor_hash', sa.String(length=64), nullable=False),
    sa.Column('referrer_host', sa.String(length=253), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('is_self', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_clicks_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clicks'))
    )
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clicks_at'), ['at'], unique=False)
        batch_op.create_index('ix_clicks_share_id_visitor_at', ['share_id', 'visitor_hash', 'at'], unique=False)

    op.create_table('conversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_conversions_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversions')),
    sa.UniqueConstraint('event_id', name=op.f('uq_conversions_event_id'))
    )
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversions_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversions_share_id'), ['share_id'], unique=False)

    op.create_table('engagement_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('reshares', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_engagement_snapshots_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_snapshots')),
    sa.UniqueConstraint('share_id', 'taken_at', 'source', name=op.f('uq_engagement_snapshots_share_id_taken_at_source'))
    )
    with op.batch_alter_table('engagement_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_snapshots_share_id'), ['share_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('engagement_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_snapshots_share_id'))

    op.drop_table('engagement_snapshots')
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversions_share_id'))
        batch_op.drop_index(batch_op.f('ix_conversions_received_at'))

    op.drop_table('conversions')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_clicks_share_id_visitor_at')
        batch_op.drop_index(batch_op.f('ix_clicks_at'))

    op.drop_table('clicks')
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shares_user_id'))
        batch_op.drop_index(batch_op.f('ix_shares_status'))
        batch_op.drop_index(batch_op.f('ix_shares_scheduled_for'))
        batch_op.drop_index(batch_op.f('ix_shares_item_id'))
        batch_op.drop_index(batch_op.f('ix_shares_created_at'))

    op.drop_table('shares')
    op.drop_table('connected_accounts')
