(saved) => { try { sessionStorage.setItem('$storage_key', saved || '[]'); } catch (e) {} return []; }
