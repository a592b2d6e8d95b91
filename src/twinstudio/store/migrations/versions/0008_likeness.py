"""likeness reviews, look-alike links, notices (issue 14)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('likeness_reviews',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('twin_id', sa.String(length=40), nullable=False),
    sa.Column('talent_id', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['talent_id'], ['talents.id'], name=op.f('fk_likeness_reviews_talent_id_talents')),
    sa.ForeignKeyConstraint(['twin_id'], ['twins.id'], name=op.f('fk_likeness_reviews_twin_id_twins')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_likeness_reviews'))
    )
    op.create_index(op.f('ix_likeness_reviews_state'), 'likeness_reviews', ['state'], unique=False)
    op.create_index(op.f('ix_likeness_reviews_twin_id'), 'likeness_reviews', ['twin_id'], unique=False)
    op.create_table('twin_lookalikes',
    sa.Column('twin_a', sa.String(length=40), nullable=False),
    sa.Column('twin_b', sa.String(length=40), nullable=False),
    sa.Column('review_id', sa.String(length=40), nullable=False),
    sa.Column('distance', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['likeness_reviews.id'], name=op.f('fk_twin_lookalikes_review_id_likeness_reviews')),
    sa.ForeignKeyConstraint(['twin_a'], ['twins.id'], name=op.f('fk_twin_lookalikes_twin_a_twins')),
    sa.ForeignKeyConstraint(['twin_b'], ['twins.id'], name=op.f('fk_twin_lookalikes_twin_b_twins')),
    sa.PrimaryKeyConstraint('twin_a', 'twin_b', name=op.f('pk_twin_lookalikes'))
    )
    op.create_table('notices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('recipient_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index(op.f('ix_notices_recipient_id'), 'notices', ['recipient_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notices_recipient_id'), table_name='notices')
    op.drop_table('notices')
    op.drop_table('twin_lookalikes')
    op.drop_index(op.f('ix_likeness_reviews_twin_id'), table_name='likeness_reviews')
    op.drop_index(op.f('ix_likeness_reviews_state'), table_name='likeness_reviews')
    op.drop_table('likeness_reviews')
