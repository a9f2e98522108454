"""Global search: one query over customers, contacts, leads, opportunities and contracts, by
name, number, company and the pinyin of Chinese names, under each record's visibility."""
