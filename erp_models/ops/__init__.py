"""Operations on a running ERP: backups and what cutover and recovery build on them."""
