import { isDeepStrictEqual } from 'node:util';
import { POLICIES, ROLES } from '../access/rules.js';
import type { SetupContext } from './context.js';

export interface AccessSetupReport {
	created: string[];
	updated: string[];
}

type Row = Record<string, unknown> & { id: string | number };

interface RowService {
	readByQuery(query: Record<string, unknown>): Promise<Row[]>;
	createOne(data: Record<string, unknown>): Promise<string | number>;
	updateOne(key: string | number, data: Record<string, unknown>): Promise<string | number>;
}

/** Whole-collection access: what the Core licence allows (see rules.ts). */
const WHOLE_COLLECTION = { permissions: {}, fields: ['*'], validation: null, presets: null };

/**
 * Creates or repairs the roles, policies and permissions of rules.ts, running as the system
 * (no accountability): only the setup command calls this. Our own rows are recognised by their fixed
 * ids (roles also by name, so an LMS that already has a "Student" role keeps it), and only the
 * differences are written. Rows an admin added, other policies and user assignments are left alone.
 */
export async function applyAccessAsSystem(ctx: SetupContext): Promise<AccessSetupReport> {
	const schema = await ctx.getSchema({ database: ctx.database });
	const asSystem = { knex: ctx.database, schema, accountability: null };
	const policies = new ctx.services.PoliciesService(asSystem) as unknown as RowService;
	const roles = new ctx.services.RolesService(asSystem) as unknown as RowService;
	const access = new ctx.services.AccessService(asSystem) as unknown as RowService;
	const permissions = new ctx.services.PermissionsService(asSystem) as unknown as RowService;
	const report: AccessSetupReport = { created: [], updated: [] };

	for (const policy of POLICIES) {
		const [existing] = await policies.readByQuery({ filter: { id: { _eq: policy.id } }, limit: 1 });
		const flags = { app_access: policy.app_access, admin_access: policy.admin_access };
		if (!existing) {
			await policies.createOne({ id: policy.id, name: policy.name, icon: policy.icon, description: policy.description, ...flags });
			report.created.push(`policy ${policy.name}`);
		} else if (existing['app_access'] !== flags.app_access || existing['admin_access'] !== flags.admin_access) {
			await policies.updateOne(policy.id, flags);
			report.updated.push(`policy ${policy.name}`);
		}

		const rows = await permissions.readByQuery({ filter: { policy: { _eq: policy.id } }, limit: -1 });
		for (const rule of policy.permissions) {
			const label = `permission ${policy.name}: ${rule.action} ${rule.collection}`;
			const wanted = WHOLE_COLLECTION;
			const row = rows.find((r) => r['collection'] === rule.collection && r['action'] === rule.action);
			if (!row) {
				await permissions.createOne({ policy: policy.id, collection: rule.collection, action: rule.action, ...wanted });
				report.created.push(label);
			} else if (!isDeepStrictEqual(pickKeys(row, Object.keys(wanted)), wanted)) {
				await permissions.updateOne(row.id, wanted);
				report.updated.push(label);
			}
		}
	}

	for (const role of ROLES) {
		const [existing] = await roles.readByQuery({
			filter: { _or: [{ id: { _eq: role.id } }, { name: { _eq: role.name } }] },
			sort: ['name'],
			limit: 1,
		});
		const roleId =
			existing?.id ?? (await roles.createOne({ id: role.id, name: role.name, icon: role.icon, description: role.description }));
		if (!existing) report.created.push(`role ${role.name}`);

		const attached = await access.readByQuery({ filter: { role: { _eq: roleId } }, fields: ['policy'], limit: -1 });
		for (const policyId of role.policies) {
			if (attached.some((row) => row['policy'] === policyId)) continue;
			await access.createOne({ role: roleId, policy: policyId });
			report.created.push(`access ${role.name} → ${policyId}`);
		}
	}

	return report;
}

function pickKeys(row: Record<string, unknown>, keys: string[]): Record<string, unknown> {
	return Object.fromEntries(keys.map((key) => [key, row[key] ?? null]));
}
