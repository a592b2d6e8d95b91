"""the model registry (issue 15)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('models',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('commercial', sa.Boolean(), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_models'))
    )
    op.create_index(op.f('ix_models_kind'), 'models', ['kind'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_models_kind'), table_name='models')
    op.drop_table('models')
