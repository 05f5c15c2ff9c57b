"""The Excel template: layout, generation and personalized copies."""
