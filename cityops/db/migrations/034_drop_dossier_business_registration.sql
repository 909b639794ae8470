-- 021's copy of business-registration dossiers (`dossier_business_registration`, filled from
-- dossier_state by `mv_business_registration`) is read by no view since 030
-- (v_business_registration reads business_registration_daily), yet every dossier_state
-- insert still fed it. The view goes first, so no insert lands in a table being dropped;
-- on a cluster both drops run ON CLUSTER (cityops/db/cluster.py rewrites them).
DROP TABLE IF EXISTS {db}.{mv_business_registration};
DROP TABLE IF EXISTS {q.dossier_business_registration};
