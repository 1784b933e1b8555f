"""Operations on the warehouse itself: data retention."""
