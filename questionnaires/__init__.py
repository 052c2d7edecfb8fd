"""Framework catalogues and crosswalks as data files, with their schema and loader."""
