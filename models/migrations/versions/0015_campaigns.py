"""campaigns, their targets (one per item), attempts and the do-not-call list

Revision ID: 0015_campaigns
Revises: 0014_call_host
Create Date: 2026-12-03 18:27:32.682226
"""
from alembic import op
import sqlalchemy as sa
import models.base


revision = '0015_campaigns'
down_revision = '0014_call_host'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_do_not_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_do_not_call')),
    sa.UniqueConstraint('phone', name=op.f('uq_campaign_do_not_call_phone'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('hours', sa.String(length=120), nullable=False),
    sa.Column('concurrency_cap', sa.Integer(), nullable=False),
    sa.Column('hourly_cap', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('retry_spacing_s', sa.Integer(), nullable=False),
    sa.Column('ring_timeout_s', sa.Integer(), nullable=False),
    sa.Column('dunning_stage', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('satisfaction', 'dunning')", name=op.f('ck_campaigns_kind')),
    sa.CheckConstraint("state IN ('running', 'paused', 'stopped', 'finished')", name=op.f('ck_campaigns_state')),
    sa.CheckConstraint('concurrency_cap >= 1 AND hourly_cap >= 1 AND max_attempts >= 1', name=op.f('ck_campaigns_caps')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_state'), ['state'], unique=False)

    op.create_table('campaign_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=80), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('work_order_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'dialling', 'completed', 'handed_to_agent', 'do_not_call', 'stopped')", name=op.f('ck_campaign_targets_state')),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 1 AND 5', name=op.f('ck_campaign_targets_score')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_targets_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_campaign_targets_follow_up_id_follow_ups')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_campaign_targets_work_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_targets')),
    sa.UniqueConstraint('item_key', name=op.f('uq_campaign_targets_item_key'))
    )
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_targets_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_targets_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_targets_next_at'), ['next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_targets_state'), ['state'], unique=False)

    op.create_table('campaign_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('placed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('dial_status', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.CheckConstraint("outcome IN ('placed', 'answered', 'completed', 'no_answer', 'busy', 'failed', 'lost')", name=op.f('ck_campaign_attempts_outcome')),
    sa.ForeignKeyConstraint(['target_id'], ['campaign_targets.id'], name=op.f('fk_campaign_attempts_target_id_campaign_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_attempts')),
    sa.UniqueConstraint('target_id', 'number', name='uq_campaign_attempts_target_number')
    )
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_attempts_placed_at'), ['placed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_attempts_target_id'), ['target_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('campaign_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_target_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_attempts_placed_at'))

    op.drop_table('campaign_attempts')
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_targets_state'))
        batch_op.drop_index(batch_op.f('ix_campaign_targets_next_at'))
        batch_op.drop_index(batch_op.f('ix_campaign_targets_household_id'))
        batch_op.drop_index(batch_op.f('ix_campaign_targets_campaign_id'))

    op.drop_table('campaign_targets')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_state'))

    op.drop_table('campaigns')
    op.drop_table('campaign_do_not_call')
