/** Which kernel a file is read as: the tree's Makefile, else every catalogued spelling it uses (catalogue/era.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedAnalyzer } from '../helpers/corpus';
import { kernelTreeRoot, kernelTreeVersion, makefileVersion } from '../../src/core/catalogue/era';
import { nodeTreeReader } from '../../src/core/catalogue/era-node';
import { checkFile } from '../../src/cli/files';

async function era(code: string, options = {}) {
  const a = await sharedAnalyzer();
  const r = a.check('snippet.c', code, options);
  return `${r.era} ${r.eraSource}`;
}

// A 6.19+ nfsd-style function: no `struct delegated_inode`, no is_delegated(), only the 6.19 directory-operation API.
const NFSD_619 = `
int nfsd_create_locked(struct svc_rqst *rqstp, struct svc_fh *fhp, char *fname, int flen)
{
	struct dentry *dchild = start_creating(&nop_mnt_idmap, fhp->fh_dentry, &QSTR_LEN(fname, flen));
	if (IS_ERR(dchild))
		return PTR_ERR(dchild);
	end_creating(dchild);
	return 0;
}`;

test('a 6.19+ file is read as 6.19 from the APIs it calls, without struct delegated_inode', async () => {
  assert.equal(await era(NFSD_619), '6.19 detected');
  // The same body without the 6.19 API: nothing pins it, the default is kept.
  assert.equal(
    await era(
      NFSD_619.replace(
        'start_creating(&nop_mnt_idmap, fhp->fh_dentry, &QSTR_LEN(fname, flen))',
        'lookup_one_len(fname, fhp->fh_dentry, flen)',
      ).replace('end_creating(dchild)', 'dput(dchild)'),
    ),
    '3.13 default',
  );
});

test('several spellings bound the version together: 3.13 out-parameter + i_mutex reads as 3.13-era 4.6 (mutex_lock spelling)', async () => {
  const code = `
int f(struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)
{
	struct inode *target = dentry->d_inode;
	int error;
	mutex_lock(&target->i_mutex);
	error = dir->i_op->unlink(dir, dentry);
	mutex_unlock(&target->i_mutex);
	return error;
}`;
  assert.equal(await era(code), '3.13 detected');
  const a = await sharedAnalyzer();
  const r = a.check('snippet.c', code);
  const f = r.findings.find((x) => x.ruleId === 'deleg/missing-break');
  assert.ok(f, JSON.stringify(r.findings));
  // i_mutex caps the version below 4.7: the advice speaks the file's own lock.
  assert.match(f.detail ?? '', /i_mutex held/);
  assert.doesNotMatch(f.detail ?? '', /inode_lock\(/);
  // mnt_userns (5.12–6.2) and mnt_idmap (6.3+) spellings.
  assert.equal(
    await era(
      'int g(struct user_namespace *mnt_userns, struct inode *inode) { return inode_permission(mnt_userns, inode, 0); }',
    ),
    '3.13 detected',
  );
  assert.equal(
    await era(
      'int g(struct mnt_idmap *idmap, struct inode *inode) { return 0; }\nint h(struct inode *i) { return is_delegated(NULL); }',
    ),
    '6.19 detected',
  );
});

test('makefileVersion reads VERSION/PATCHLEVEL/SUBLEVEL', () => {
  assert.equal(
    makefileVersion('# SPDX\nVERSION = 6\nPATCHLEVEL = 19\nSUBLEVEL = 0\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n'),
    '6.19',
  );
  assert.equal(makefileVersion('VERSION = 3\nPATCHLEVEL = 10\nSUBLEVEL = 99\n'), '3.10.99');
  assert.equal(makefileVersion('all:\n\techo hi\n'), null);
});

test("a file inside a kernel tree takes the era of the tree's Makefile (CLI), overriding its spellings", async () => {
  const root = mkdtempSync(join(tmpdir(), 'vfslock-tree-'));
  try {
    mkdirSync(join(root, 'linux', 'fs', 'nfsd'), { recursive: true });
    mkdirSync(join(root, 'linux', 'include', 'linux'), { recursive: true });
    writeFileSync(join(root, 'linux', 'Makefile'), 'VERSION = 7\nPATCHLEVEL = 0\nSUBLEVEL = 0\n');
    // A file with nothing era-specific: read as 7.0 because of the tree.
    const file = join(root, 'linux', 'fs', 'nfsd', 'plain.c');
    writeFileSync(file, 'int f(struct inode *inode) { return inode->i_nlink; }\n');
    assert.equal(kernelTreeRoot(file, nodeTreeReader), join(root, 'linux'));
    assert.equal(kernelTreeVersion(file, nodeTreeReader), '7.0');
    const a = await sharedAnalyzer();
    const out = checkFile(a, file, { kernel: 'auto' });
    assert.ok('result' in out);
    assert.equal(`${out.result.era} ${out.result.eraSource}`, '6.19 tree');
    // An explicit --kernel still wins.
    const forced = checkFile(a, file, { kernel: '4.19' });
    assert.ok('result' in forced);
    assert.equal(`${forced.result.era} ${forced.result.eraSource}`, '3.13 option');
    // Outside a tree (no include/): back to the spellings.
    const lone = join(root, 'lone.c');
    writeFileSync(lone, NFSD_619);
    assert.equal(kernelTreeRoot(lone, nodeTreeReader), null);
    const l = checkFile(a, lone, { kernel: 'auto' });
    assert.ok('result' in l);
    assert.equal(`${l.result.era} ${l.result.eraSource}`, '6.19 detected');
    // A 3.10 tree reads a 6.19-looking file as pre-3.13: the tree is the truth for files in it.
    writeFileSync(join(root, 'linux', 'Makefile'), 'VERSION = 3\nPATCHLEVEL = 10\nSUBLEVEL = 99\n');
    const other = join(root, 'linux', 'fs', 'x.c');
    writeFileSync(other, NFSD_619);
    const old = checkFile(a, other, { kernel: 'auto', treeVersion: kernelTreeVersion(other, { ...nodeTreeReader }) });
    assert.ok('result' in old);
    assert.equal(`${old.result.era} ${old.result.eraSource}`, '3.12 tree');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
