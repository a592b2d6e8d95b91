"""licence proposals and the twins' open-to-offers flag (issue 19)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('twins', sa.Column('open_to_offers', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_table('licence_proposals',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('twin_id', sa.String(length=40), nullable=False),
    sa.Column('talent_id', sa.String(length=40), nullable=False),
    sa.Column('brand_id', sa.String(length=40), nullable=False),
    sa.Column('consent_id', sa.String(length=40), nullable=False),
    sa.Column('licence_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('document_hash', sa.String(length=64), nullable=False),
    sa.Column('brand_signature', sa.Text(), nullable=False),
    sa.Column('proposed_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('refusal_code', sa.String(length=40), nullable=True),
    sa.Column('refusal_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['organisations.id'], name=op.f('fk_licence_proposals_brand_id_organisations')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_licence_proposals_consent_id_consents')),
    sa.ForeignKeyConstraint(['talent_id'], ['talents.id'], name=op.f('fk_licence_proposals_talent_id_talents')),
    sa.ForeignKeyConstraint(['twin_id'], ['twins.id'], name=op.f('fk_licence_proposals_twin_id_twins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_proposals')),
    sa.UniqueConstraint('licence_id', name=op.f('uq_licence_proposals_licence_id'))
    )
    op.create_index(op.f('ix_licence_proposals_brand_id'), 'licence_proposals', ['brand_id'], unique=False)
    op.create_index(op.f('ix_licence_proposals_state'), 'licence_proposals', ['state'], unique=False)
    op.create_index(op.f('ix_licence_proposals_twin_id'), 'licence_proposals', ['twin_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_licence_proposals_twin_id'), table_name='licence_proposals')
    op.drop_index(op.f('ix_licence_proposals_state'), table_name='licence_proposals')
    op.drop_index(op.f('ix_licence_proposals_brand_id'), table_name='licence_proposals')
    op.drop_table('licence_proposals')
    with op.batch_alter_table('twins') as batch:
        batch.drop_column('open_to_offers')
