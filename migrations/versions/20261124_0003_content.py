"""content

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('image_url', sa.String(length=2000), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in_review', 'scheduled', 'published', 'expired', 'archived', name='content_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('origin', sa.Enum('curator', 'suggestion', 'feed', name='content_origin', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('hashtags', sa.String(length=500), nullable=False),
    sa.Column('disclaimer', sa.Text(), nullable=False),
    sa.Column('text_locked', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('curator_notes', sa.Text(), nullable=False),
    sa.Column('target_languages', sa.String(length=32), nullable=False),
    sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expire_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('suggested_by_id', sa.Integer(), nullable=True),
    sa.Column('suggestion_comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_content_items_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggested_by_id'], ['users.id'], name=op.f('fk_content_items_suggested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_items')),
    sa.UniqueConstraint('slug', name=op.f('uq_content_items_slug'))
    )
    with op.batch_alter_table('content_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_items_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_items_expire_at'), ['expire_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_items_publish_at'), ['publish_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_items_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_items_suggested_by_id'), ['suggested_by_id'], unique=False)

    op.create_table('content_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=200), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=False),
    sa.Column('last_modified', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_content_sources_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_sources')),
    sa.UniqueConstraint('url', name=op.f('uq_content_sources_url'))
    )
    op.create_table('content_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_dismissals_item_id_content_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_content_dismissals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_dismissals')),
    sa.UniqueConstraint('user_id', 'item_id', name=op.f('uq_content_dismissals_user_id_item_id'))
    )
    with op.batch_alter_table('content_dismissals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_dismissals_item_id'), ['item_id'], unique=False)

    op.create_table('content_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_content_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_events_item_id_content_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_events'))
    )
    with op.batch_alter_table('content_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_events_item_id'), ['item_id'], unique=False)

    op.create_table('content_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('image_url', sa.String(length=2000), nullable=False),
    sa.Column('entry_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('new', 'used', 'dismissed', name='inbox_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_inbox_item_id_content_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['content_sources.id'], name=op.f('fk_content_inbox_source_id_content_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_inbox')),
    sa.UniqueConstraint('url', name=op.f('uq_content_inbox_url'))
    )
    with op.batch_alter_table('content_inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_inbox_fetched_at'), ['fetched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_inbox_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_inbox_status'), ['status'], unique=False)

    op.create_table('content_item_groups',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_content_item_groups_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_item_groups_item_id_content_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'group_id', name=op.f('pk_content_item_groups'))
    )
    with op.batch_alter_table('content_item_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_item_groups_group_id'), ['group_id'], unique=False)

    op.create_table('content_item_topics',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_item_topics_item_id_content_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_content_item_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'topic_id', name=op.f('pk_content_item_topics'))
    )
    with op.batch_alter_table('content_item_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_item_topics_topic_id'), ['topic_id'], unique=False)

    op.create_table('content_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('network', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['content_items.id'], name=op.f('fk_content_texts_item_id_content_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_texts')),
    sa.UniqueConstraint('item_id', 'network', name=op.f('uq_content_texts_item_id_network'))
    )


def downgrade() -> None:
    op.drop_table('content_texts')
    with op.batch_alter_table('content_item_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_item_topics_topic_id'))

    op.drop_table('content_item_topics')
    with op.batch_alter_table('content_item_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_item_groups_group_id'))

    op.drop_table('content_item_groups')
    with op.batch_alter_table('content_inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_inbox_status'))
        batch_op.drop_index(batch_op.f('ix_content_inbox_source_id'))
        batch_op.drop_index(batch_op.f('ix_content_inbox_fetched_at'))

    op.drop_table('content_inbox')
    with op.batch_alter_table('content_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_events_item_id'))

    op.drop_table('content_events')
    with op.batch_alter_table('content_dismissals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_dismissals_item_id'))

    op.drop_table('content_dismissals')
    op.drop_table('content_sources')
    with op.batch_alter_table('content_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_items_suggested_by_id'))
        batch_op.drop_index(batch_op.f('ix_content_items_status'))
        batch_op.drop_index(batch_op.f('ix_content_items_publish_at'))
        batch_op.drop_index(batch_op.f('ix_content_items_expire_at'))
        batch_op.drop_index(batch_op.f('ix_content_items_created_by_id'))

    op.drop_table('content_items')
