-- Trigram matching for typo-tolerant keyword search (entries_trgm_idx needs the operator class).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
