"""twin training: training jobs, twin adapters, a consent's training withdrawal (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00.000000
"""

from alembic import op
import sqlalchemy as sa



revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch:
        batch.add_column(sa.Column('training_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('training_jobs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('twin_id', sa.String(length=40), nullable=False),
    sa.Column('base_model', sa.String(length=64), nullable=False),
    sa.Column('recipe', sa.String(length=40), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('last_loss', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=80), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkpoint', sa.LargeBinary(), nullable=True),
    sa.Column('adapter_id', sa.String(length=40), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['twin_id'], ['twins.id'], name=op.f('fk_training_jobs_twin_id_twins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_jobs'))
    )
    op.create_index(op.f('ix_training_jobs_twin_id'), 'training_jobs', ['twin_id'], unique=False)
    op.create_index(op.f('ix_training_jobs_state'), 'training_jobs', ['state'], unique=False)
    op.create_table('twin_adapters',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('twin_id', sa.String(length=40), nullable=False),
    sa.Column('talent_id', sa.String(length=40), nullable=False),
    sa.Column('consent_id', sa.String(length=40), nullable=False),
    sa.Column('job_id', sa.String(length=40), nullable=False),
    sa.Column('base_model', sa.String(length=64), nullable=False),
    sa.Column('base_manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('recipe', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['twin_id'], ['twins.id'], name=op.f('fk_twin_adapters_twin_id_twins')),
    sa.ForeignKeyConstraint(['talent_id'], ['talents.id'], name=op.f('fk_twin_adapters_talent_id_talents')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_twin_adapters_consent_id_consents')),
    sa.ForeignKeyConstraint(['job_id'], ['training_jobs.id'], name=op.f('fk_twin_adapters_job_id_training_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twin_adapters')),
    sa.UniqueConstraint('twin_id', 'base_model', 'version', name='uq_twin_adapters_version')
    )
    op.create_index(op.f('ix_twin_adapters_twin_id'), 'twin_adapters', ['twin_id'], unique=False)
    op.create_index(op.f('ix_twin_adapters_talent_id'), 'twin_adapters', ['talent_id'], unique=False)


def downgrade() -> None:
    op.drop_table('twin_adapters')
    op.drop_table('training_jobs')
    with op.batch_alter_table('consents', schema=None) as batch:
        batch.drop_column('training_withdrawn_at')
